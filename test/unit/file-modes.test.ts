import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makePrivateDir } from "../../src/cache-home.js";
import { tightened } from "../../src/report/file-modes.js";
import { rotateLogs } from "../../src/report/housekeeping.js";
import { createLogFiles } from "../../src/report/log-file.js";
import { writeMetricsFile } from "../../src/report/metrics.js";
import { writeRunSummary } from "../../src/report/run-summary.js";
import { createStatusFiles } from "../../src/report/status-file.js";
import { entry, status, summary, target, tempDir } from "./report-fixtures.js";

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe("tightened", () => {
  it.each([
    [0o644, 0o640],
    [0o666, 0o640],
    [0o777, 0o640],
    [0o604, 0o600],
    [0o640, null],
    [0o600, null],
    [0o400, null],
    [0o100644, 0o640],
  ])("%o -> %s", (mode, expected) => {
    expect(tightened(mode)).toBe(expected);
  });
});

describe("files under the logs folder are not world-readable", () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("log files, new or left 0644 by an older version, and the folder made for them", async () => {
    const logsDir = join(tmp.dir, "logs");
    const t = target("api");
    const old = target("web");
    await mkdir(logsDir);
    await writeFile(join(logsDir, "web.log"), "old\n", { mode: 0o644 });
    await chmod(join(logsDir, "web.log"), 0o644);
    const freshDir = join(tmp.dir, "fresh", "logs");
    for (const dir of [logsDir, freshDir]) {
      const logs = createLogFiles({
        logsDir: dir,
        runId: "r1",
        onError: (_file, error) => expect(error).toBe(null),
      });
      for (const each of [t, old]) logs.onEvent({ type: "status", target: each, status: status(each) });
      await logs.close();
    }
    expect(await modeOf(join(logsDir, "api.log"))).toBe(0o640);
    expect(await modeOf(join(logsDir, "web.log"))).toBe(0o640);
    expect(await modeOf(join(freshDir, "api.log"))).toBe(0o640);
    expect(await modeOf(freshDir)).toBe(0o750);
  });

  it("status files, run summaries, last-run.json, the metrics file and a rotated log", async () => {
    const logsDir = join(tmp.dir, "logs");
    const files = createStatusFiles(logsDir, { onError: (_file, error) => expect(error).toBe(null) });
    files.write("api", status(target("api")));
    await files.flush();
    const run = summary([entry("api")]);
    const written = await writeRunSummary(logsDir, run);
    const metrics = join(tmp.dir, "metrics", "deploy.prom");
    await writeMetricsFile(metrics, run, "p");
    await writeFile(join(logsDir, "api.log"), "x".repeat(100), { mode: 0o644 });
    await chmod(join(logsDir, "api.log"), 0o644);
    await rotateLogs(logsDir, ["api"], 10);
    for (const file of [
      join(logsDir, "api.status.json"),
      written.runFile,
      written.lastRunFile,
      metrics,
      join(logsDir, "api.log.1"),
    ]) {
      expect([file, await modeOf(file)]).toEqual([file, 0o640]);
    }
    expect(await modeOf(join(logsDir, "runs"))).toBe(0o750);
  });
});

describe("makePrivateDir", () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("makes the folder 0700, and tightens an existing one that is more open", async () => {
    const made = join(tmp.dir, "cache", "deploy-orchestrator");
    await makePrivateDir(made);
    expect(await modeOf(made)).toBe(0o700);
    await chmod(made, 0o755);
    await makePrivateDir(made);
    expect(await modeOf(made)).toBe(0o700);
    await chmod(made, 0o500);
    await makePrivateDir(made);
    expect(await modeOf(made)).toBe(0o500);
  });
});
