import { describe, expect, it } from "vitest";
import type { RunEvent, TargetRef } from "../../src/events.js";
import { createJsonRenderer } from "../../src/report/terminal/json.js";
import { createPlainRenderer } from "../../src/report/terminal/plain.js";
import { createQuietRenderer } from "../../src/report/terminal/quiet.js";
import { formatSummary } from "../../src/report/terminal/summary.js";
import { createTreeRenderer } from "../../src/report/terminal/tree.js";
import { capture, entry, ISO_TIME, status, summary, target } from "./report-fixtures.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const auth = target("auth-service");
const user = target("user-service");
const web = target("web", "web1", "web@web1");

/** auth-service succeeds, user-service fails in its build, web is skipped. */
function events(): RunEvent[] {
  return [
    { type: "status", target: auth, status: status(auth) },
    { type: "status", target: user, status: status(user) },
    { type: "status", target: auth, status: status(auth, { state: "cloning" }) },
    { type: "log", target: auth, phase: "git", line: "Fetching origin" },
    { type: "status", target: auth, status: status(auth, { state: "building", commit: SHA }) },
    {
      type: "log",
      target: auth,
      phase: "build",
      line: "Step 1/2 : FROM busybox\n ---> 1234\nStep 2/2 : RUN make",
    },
    { type: "log", target: auth, phase: "build", line: "compiling lots of things" },
    { type: "status", target: user, status: status(user, { state: "building", commit: SHA }) },
    {
      type: "status",
      target: user,
      status: status(user, {
        state: "failed",
        commit: SHA,
        finished_at: "2025-01-01T00:00:03.100Z",
        duration_ms: 3100,
        error: {
          phase: "build",
          message: "The command '/bin/sh -c make' returned a non-zero code: 2\nmore detail",
        },
      }),
    },
    {
      type: "status",
      target: web,
      status: status(web, {
        state: "skipped",
        finished_at: "2025-01-01T00:00:03.200Z",
        duration_ms: 0,
        reason: "dependency user-service failed",
      }),
    },
    {
      type: "status",
      target: auth,
      status: status(auth, { state: "deploying", commit: SHA, image: "auth:0123" }),
    },
    { type: "log", target: auth, phase: "deploy", line: "started container 5f2a" },
    { type: "status", target: auth, status: status(auth, { state: "checking", commit: SHA }) },
    { type: "log", target: auth, phase: "health", line: "GET http://auth:8080/health gave 200" },
    {
      type: "status",
      target: auth,
      status: status(auth, {
        state: "succeeded",
        commit: SHA,
        finished_at: "2025-01-01T00:00:04.200Z",
        duration_ms: 4200,
      }),
    },
  ];
}

const finalSummary = summary([
  entry("auth-service", { commit: SHA }),
  entry("user-service", {
    state: "failed",
    duration_ms: 3100,
    error: {
      phase: "build",
      message: "The command '/bin/sh -c make' returned a non-zero code: 2\nmore detail",
    },
  }),
  entry("web", {
    host: "web1",
    state: "skipped",
    commit: null,
    duration_ms: 0,
    reason: "dependency user-service failed",
  }),
]);

const targets: TargetRef[] = [auth, user, web];

describe("summary", () => {
  it("lists failures first with where to look, then the rest, then the counts", () => {
    const text = formatSummary(finalSummary, { color: false, targets, logsHint: "logs" });
    expect(text).toBe(
      [
        "failed     user-service  [build] The command '/bin/sh -c make' returned a non-zero code: 2 (see logs/user-service.log)",
        "succeeded  auth-service  0123456789ab    4.2s",
        "skipped    web@web1      -               0.0s  dependency user-service failed",
        "3 services: 1 succeeded, 1 failed, 1 skipped (12.3s)",
        "",
      ].join("\n"),
    );
  });

  it("names multi-host services service@host even without targets, and colours only on request", () => {
    const s = summary([
      entry("api", { host: "a" }),
      entry("api", { host: "b", state: "rolled_back", error: null, reason: "health check failed" }),
    ]);
    const plain = formatSummary(s, { color: false });
    expect(plain.split("\n")[0]).toBe("rolled_back  api@b  health check failed (see logs/api@b.log)");
    expect(plain).toContain("2 services: 1 succeeded, 1 rolled back (12.3s)");
    expect(plain).not.toContain("\u001b[");
    expect(formatSummary(s, { color: true })).toContain("\u001b[31m");
  });
});

describe("plain renderer", () => {
  it("prints state changes and important lines, one per line, without ANSI", async () => {
    const out = capture();
    const renderer = createPlainRenderer({ stdout: out.stream, stderr: capture().stream, color: false });
    renderer.start(targets);
    for (const event of events()) renderer.onEvent(event);
    await renderer.finish(finalSummary);
    const text = out.text().replace(ISO_TIME, "T");
    expect(text).toBe(
      [
        "T auth-service pending",
        "T user-service pending",
        "T auth-service cloning ref main",
        "T auth-service git Fetching origin",
        "T auth-service building commit 0123456789ab",
        "T auth-service build Step 1/2 : FROM busybox",
        "T auth-service build Step 2/2 : RUN make",
        "T user-service building commit 0123456789ab",
        "T user-service failed 3.1s [build] The command '/bin/sh -c make' returned a non-zero code: 2",
        "T web@web1 skipped 0.0s dependency user-service failed",
        "T auth-service deploying image auth:0123",
        "T auth-service deploy started container 5f2a",
        "T auth-service checking gate http",
        "T auth-service health GET http://auth:8080/health gave 200",
        "T auth-service succeeded 4.2s",
        "",
        formatSummary(finalSummary, { color: false, targets }),
      ].join("\n"),
    );
    expect(out.text()).not.toContain("\u001b");
  });
});

describe("quiet and json renderers", () => {
  it("quiet prints only the summary", async () => {
    const out = capture();
    const renderer = createQuietRenderer({ stdout: out.stream, stderr: capture().stream, color: false });
    renderer.start(targets);
    for (const event of events()) renderer.onEvent(event);
    await renderer.finish(finalSummary);
    expect(out.text()).toBe(formatSummary(finalSummary, { color: false, targets }));
  });

  it("json prints exactly the summary JSON", async () => {
    const out = capture();
    const renderer = createJsonRenderer({ stdout: out.stream });
    renderer.start(targets);
    for (const event of events()) renderer.onEvent(event);
    await renderer.finish(finalSummary);
    expect(out.text()).toBe(`${JSON.stringify(finalSummary, null, 2)}\n`);
  });
});

describe("tree renderer", () => {
  it("ends with a failed, a succeeded and a skipped target and prints the summary (non-TTY)", async () => {
    const out = capture();
    const err = capture();
    const renderer = createTreeRenderer({ stdout: out.stream, stderr: err.stream, color: false });
    renderer.start(targets);
    for (const event of events()) renderer.onEvent(event);
    await renderer.finish(finalSummary);
    const text = out.text();
    if (process.env.SHOW_TREE) process.stderr.write(text);
    expect(text).toContain("auth-service succeeded 4.2s");
    expect(text).toContain("user-service failed 3.1s");
    expect(text).toContain("[build] The command '/bin/sh -c make' returned a non-zero code: 2");
    expect(text).toContain("dependency user-service failed");
    expect(text.endsWith(formatSummary(finalSummary, { color: false, targets }))).toBe(true);
    expect(text).not.toContain("\u001b[3");
    expect(err.text()).toBe("");
  });

  it("ends even when a target never reports a final state", async () => {
    const out = capture();
    const renderer = createTreeRenderer({ stdout: out.stream, stderr: capture().stream, color: false });
    renderer.start([auth]);
    renderer.onEvent({ type: "status", target: auth, status: status(auth, { state: "building" }) });
    await renderer.finish(
      summary([
        entry("auth-service", {
          state: "failed",
          error: { phase: "interrupted", message: "interrupted by SIGINT" },
        }),
      ]),
    );
    expect(out.text()).toContain("[interrupted] interrupted by SIGINT");
  });
});
