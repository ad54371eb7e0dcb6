import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/events.js";
import { createReporter } from "../../src/report/reporter.js";
import type { OutputMode } from "../../src/report/terminal/index.js";
import { capture, entry, status, steppingClock, summary, target, tempDir } from "./report-fixtures.js";

const SECRET = "s3cr3t-T0ken";
/** Too short to mask safely (see MIN_MASKED_LENGTH): left as it is, and nothing else is mangled for it. */
const SHORT = "pw9";
const api = target("api", "web1", "api@web1");

function run(): RunEvent[] {
  return [
    { type: "status", target: api, status: status(api) },
    { type: "status", target: api, status: status(api, { state: "building", commit: "abcdef0123456789" }) },
    { type: "log", target: api, phase: "build", line: `Step 2/3 : RUN echo ${SECRET} and ${SHORT}` },
    {
      type: "log",
      target: api,
      phase: "build",
      line: `\u001b[33m${SECRET.slice(0, 4)}\u001b[0m${SECRET.slice(4)}`,
    },
    { type: "log", target: api, phase: "deploy", line: `env TOKEN=${SECRET}` },
    {
      type: "status",
      target: api,
      status: status(api, {
        state: "failed",
        finished_at: "2025-01-01T00:00:02.000Z",
        duration_ms: 2000,
        error: { phase: "build", message: `exit 1 after printing ${SECRET}` },
      }),
    },
  ];
}

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("reporter", () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.cleanup());

  it.each<OutputMode>(["plain", "tree", "quiet", "json"])(
    "keeps secret values out of every file and of stdout (%s)",
    async (output) => {
      const out = capture();
      const err = capture();
      const logsDir = join(tmp.dir, "logs");
      const reporter = createReporter({
        logsDir,
        runId: "run-1",
        output,
        targets: [api],
        secretValues: [SECRET, SHORT, ""],
        stdout: out.stream,
        stderr: err.stream,
        color: false,
        now: steppingClock(),
      });
      for (const event of run()) reporter.sink(event);
      await reporter.finish(
        summary(
          [
            entry("api", {
              host: "web1",
              state: "failed",
              error: { phase: "build", message: `exit 1 after printing ${SECRET}` },
            }),
          ],
          { options: { note: `given ${SHORT}` } },
        ),
      );

      const files = await allFiles(logsDir);
      expect(files.map((f) => f.slice(logsDir.length + 1)).sort()).toEqual([
        "api@web1.log",
        "api@web1.status.json",
        "last-run.json",
        "runs/run-1.json",
      ]);
      for (const file of files) {
        const text = await readFile(file, "utf8");
        expect(text, file).not.toContain(SECRET);
        expect(text, file).toContain("[REDACTED]");
      }
      expect(await readFile(join(logsDir, "api@web1.log"), "utf8")).toContain(`[REDACTED] and ${SHORT}`);
      expect(out.text()).not.toContain(SECRET);
      expect(err.text()).toBe("");
      const last = JSON.parse(await readFile(join(logsDir, "api@web1.status.json"), "utf8"));
      expect(last.state).toBe("failed");
      expect(last.error.message).toBe("exit 1 after printing [REDACTED]");
      if (output === "json") expect(JSON.parse(out.text()).services[0].state).toBe("failed");
      else expect(out.text()).toContain("1 service: 1 failed");
    },
  );

  it("masks free text only: a value of 1 or e mangles no field; a PEM and URL credentials are masked", async () => {
    const out = capture();
    const logsDir = join(tmp.dir, "logs");
    const pem = "-----BEGIN KEY-----\r\nMIIEvQIBADANBgkqhkiG\r\n-----END KEY-----";
    const reporter = createReporter({
      logsDir,
      runId: "20250101T101010Z-1e1e",
      output: "plain",
      targets: [api],
      secretValues: ["1", "e", pem],
      stdout: out.stream,
      stderr: capture().stream,
      color: false,
      now: steppingClock(),
    });
    const commit = "1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e";
    const final = status(api, {
      run_id: "20250101T101010Z-1e1e",
      state: "succeeded",
      commit,
      image: "shop/api:1e1e1e1e1e1e",
      started_at: "2025-01-01T10:10:10.111Z",
      finished_at: "2025-01-01T10:10:11.111Z",
      duration_ms: 1000,
      reason: "deployed from https://bot:t0ken@git.example.com/api.git",
    });
    reporter.sink({
      type: "log",
      target: api,
      phase: "build",
      line: "MIIEvQIBADANBgkqhkiG\r\n-----END KEY-----",
    });
    reporter.sink({ type: "status", target: api, status: final });
    await reporter.finish(
      summary([entry("api", { host: "web1", commit, reason: final.reason })], { run_id: final.run_id }),
    );

    const written = JSON.parse(await readFile(join(logsDir, "api@web1.status.json"), "utf8"));
    expect(written).toEqual({ ...final, reason: "deployed from https://[REDACTED]@git.example.com/api.git" });
    const run = JSON.parse(await readFile(join(logsDir, "runs", `${final.run_id}.json`), "utf8"));
    expect(run).toMatchObject({ run_id: final.run_id, services: [{ commit, state: "succeeded" }] });
    expect(run.started_at).toBe("2025-01-01T00:00:00.000Z");
    const log = await readFile(join(logsDir, "api@web1.log"), "utf8");
    expect(log).toContain(`==== run ${final.run_id} started`);
    expect(log).toMatch(/\[build\] \[REDACTED\]\n.*\[build\] \[REDACTED\]\n/);
    for (const text of [log, out.text(), JSON.stringify(run)]) {
      expect(text).not.toMatch(/MIIEvQ|END KEY|t0ken/);
    }
  });

  it("reports an unwritable logs folder once per file on stderr and still prints the summary", async () => {
    const blocker = join(tmp.dir, "not-a-dir");
    await writeFile(blocker, "");
    const out = capture();
    const err = capture();
    const reporter = createReporter({
      logsDir: join(blocker, "logs"),
      runId: "run-1",
      output: "quiet",
      targets: [api],
      secretValues: [],
      stdout: out.stream,
      stderr: err.stream,
      color: false,
    });
    for (const event of run()) expect(() => reporter.sink(event)).not.toThrow();
    await expect(reporter.finish(summary([entry("api", { host: "web1" })]))).resolves.toBeUndefined();
    const lines = err.text().trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.startsWith("deploy: cannot write "))).toBe(true);
    expect(err.text()).toContain("api@web1.log");
    expect(err.text()).toContain("api@web1.status.json");
    expect(err.text()).toContain("the run summary");
    expect(out.text()).toContain("1 service: 1 succeeded");
  });

  it("ignores events after finish", async () => {
    const reporter = createReporter({
      logsDir: tmp.dir,
      runId: "run-1",
      output: "quiet",
      targets: [api],
      secretValues: [],
      stdout: capture().stream,
      stderr: capture().stream,
      color: false,
    });
    await reporter.finish(summary([]));
    expect(() => reporter.sink(run()[0] as RunEvent)).not.toThrow();
    expect((await readdir(tmp.dir)).sort()).toEqual(["last-run.json", "runs"]);
  });
});
