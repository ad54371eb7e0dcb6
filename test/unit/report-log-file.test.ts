import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogFiles } from "../../src/report/log-file.js";
import { status, steppingClock, target, tempDir } from "./report-fixtures.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("log files", () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.cleanup());

  async function oneRun(runId: string, logsDir: string, errors: unknown[] = []): Promise<void> {
    const t = target("auth-service");
    const logs = createLogFiles({ logsDir, runId, now: steppingClock(), onError: (_f, e) => errors.push(e) });
    logs.onEvent({ type: "status", target: t, status: status(t, { state: "pending" }) });
    logs.onEvent({ type: "status", target: t, status: status(t, { state: "cloning" }) });
    logs.onEvent({ type: "log", target: t, phase: "git", line: "Fetching origin" });
    logs.onEvent({ type: "status", target: t, status: status(t, { state: "building", commit: SHA }) });
    logs.onEvent({
      type: "log",
      target: t,
      phase: "build",
      line: "\u001b[1mStep 1/2\u001b[0m : FROM busybox\r\nStep 2/2 : RUN true",
    });
    logs.onEvent({
      type: "status",
      target: t,
      status: status(t, {
        state: "failed",
        commit: SHA,
        finished_at: "2025-01-01T00:00:05.000Z",
        duration_ms: 5000,
        error: { phase: "build", message: "build failed\nexit code 1" },
      }),
    });
    await logs.close();
  }

  it("writes a header, then ISO-timed lines tagged with their phase", async () => {
    const logsDir = join(tmp.dir, "nested", "logs");
    const errors: unknown[] = [];
    await oneRun("run-1", logsDir, errors);
    expect(errors).toEqual([]);
    const text = await readFile(join(logsDir, "auth-service.log"), "utf8");
    expect(text).toBe(
      [
        "==== run run-1 started 2025-01-01T00:00:00.000Z branch=main commit=? host=local",
        "2025-01-01T00:00:01.000Z [deploy] state pending",
        "2025-01-01T00:00:02.000Z [git] state cloning",
        "2025-01-01T00:00:03.000Z [git] Fetching origin",
        `2025-01-01T00:00:04.000Z [git] commit ${SHA}`,
        "2025-01-01T00:00:05.000Z [build] state building",
        "2025-01-01T00:00:06.000Z [build] Step 1/2 : FROM busybox",
        "2025-01-01T00:00:06.000Z [build] Step 2/2 : RUN true",
        "2025-01-01T00:00:07.000Z [build] state failed after 5.0s",
        "2025-01-01T00:00:08.000Z [build] error: build failed",
        "2025-01-01T00:00:09.000Z [build]   exit code 1",
        "",
      ].join("\n"),
    );
  });

  it("appends a second run after the first, never truncating", async () => {
    await oneRun("run-1", tmp.dir);
    await oneRun("run-2", tmp.dir);
    const lines = (await readFile(join(tmp.dir, "auth-service.log"), "utf8")).trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("===="))).toHaveLength(2);
    expect(lines[0]).toMatch(/^==== run run-1 /);
    expect(lines[11]).toMatch(/^==== run run-2 /);
    expect(lines).toHaveLength(22);
    for (const line of lines.filter((l) => !l.startsWith("===="))) {
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(git|build|deploy|health)\] /);
    }
  });

  it("puts a known commit in the header and uses branchOf when the first event is a log line", async () => {
    const a = target("api", "web1", "api@web1");
    const b = target("worker");
    const logs = createLogFiles({
      logsDir: tmp.dir,
      runId: "r",
      now: steppingClock(),
      branchOf: () => "release",
      onError: () => {},
    });
    logs.onEvent({ type: "status", target: a, status: status(a, { state: "building", commit: SHA }) });
    logs.onEvent({ type: "log", target: b, phase: "git", line: "cloning" });
    await logs.close();
    expect(await readFile(join(tmp.dir, "api@web1.log"), "utf8")).toMatch(
      new RegExp(
        `^==== run r started \\S+ branch=main commit=${SHA} host=web1\\n\\S+ \\[build\\] state building\\n$`,
      ),
    );
    expect(await readFile(join(tmp.dir, "worker.log"), "utf8")).toMatch(
      /^==== run r started \S+ branch=release commit=\? host=local\n/,
    );
  });

  it("says what the ref turned out to be beside its commit, in the header once both are known", async () => {
    const t = target("api");
    const later = target("worker");
    const logs = createLogFiles({ logsDir: tmp.dir, runId: "r", now: steppingClock(), onError: () => {} });
    const tag = { branch: "v1.2.0", commit: SHA, ref_kind: "tag" as const };
    logs.onEvent({ type: "status", target: t, status: status(t, { state: "cloning", branch: "v1.2.0" }) });
    logs.onEvent({ type: "status", target: t, status: status(t, { state: "building", ...tag }) });
    logs.onEvent({ type: "status", target: later, status: status(later, { state: "building", ...tag }) });
    await logs.close();
    expect(await readFile(join(tmp.dir, "api.log"), "utf8")).toMatch(
      new RegExp(
        "^==== run r started \\S+ branch=v1.2.0 commit=\\? host=local\n" +
          "\\S+ \\[git\\] state cloning\n" +
          `\\S+ \\[git\\] commit ${SHA} \\(tag v1.2.0\\)\n`,
      ),
    );
    expect(await readFile(join(tmp.dir, "worker.log"), "utf8")).toMatch(
      new RegExp(`^==== run r started \\S+ branch=v1.2.0 ref_kind=tag commit=${SHA} host=local\n`),
    );
  });

  it("reports an unwritable folder through onError instead of throwing", async () => {
    const errors: string[] = [];
    const file = join(tmp.dir, "a-file");
    await import("node:fs/promises").then((fs) => fs.writeFile(file, "x"));
    const logs = createLogFiles({ logsDir: join(file, "logs"), runId: "r", onError: (f) => errors.push(f) });
    const t = target("svc");
    expect(() => logs.onEvent({ type: "status", target: t, status: status(t) })).not.toThrow();
    logs.onEvent({ type: "log", target: t, phase: "git", line: "x" });
    await logs.close();
    expect(errors).toEqual([join(file, "logs", "svc.log")]);
  });
});
