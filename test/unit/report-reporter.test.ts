import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createReporter } from "../../src/report/reporter.js";
import type { OutputMode } from "../../src/report/terminal/index.js";
import type { RunEvent } from "../../src/run/events.js";
import { capture, entry, status, steppingClock, summary, target, tempDir } from "./report-fixtures.js";

const SECRET = "s3cr3t-T0ken";
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
          { options: { note: `given ${SECRET}` } },
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
        expect(text, file).not.toContain(SHORT);
        expect(text, file).toContain("[REDACTED]");
      }
      expect(out.text()).not.toContain(SECRET);
      expect(out.text()).not.toContain(SHORT);
      expect(err.text()).toBe("");
      const last = JSON.parse(await readFile(join(logsDir, "api@web1.status.json"), "utf8"));
      expect(last.state).toBe("failed");
      expect(last.error.message).toBe("exit 1 after printing [REDACTED]");
      if (output === "json") expect(JSON.parse(out.text()).services[0].state).toBe("failed");
      else expect(out.text()).toContain("1 service: 1 failed");
    },
  );

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
