import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ServiceState } from "../../src/events.js";
import { writeRunSummary } from "../../src/report/run-summary.js";
import { createStatusFiles } from "../../src/report/status-file.js";
import { entry, status, summary, target, tempDir } from "./report-fixtures.js";

describe("status files", () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("holds whole JSON equal to the last record after a burst of 200 events", async () => {
    const t = target("api", "web1", "api@web1");
    const logsDir = join(tmp.dir, "logs");
    const files = createStatusFiles(logsDir, { onError: (_f, e) => expect.fail(String(e)) });
    const states: ServiceState[] = ["pending", "cloning", "building", "deploying", "checking"];
    const file = join(logsDir, "api@web1.status.json");
    const seen: string[] = [];
    let last = status(t);
    for (let i = 0; i < 200; i++) {
      last = status(t, { state: states[i % states.length], duration_ms: i });
      files.write(t.key, last);
      if (i % 20 === 19) {
        // A reader mid-burst sees either no file yet or a whole document.
        await new Promise((r) => setImmediate(r));
        const text = await readFile(file, "utf8").catch(() => null);
        if (text !== null) seen.push(text);
      }
    }
    last = status(t, { state: "succeeded", duration_ms: 999, finished_at: "2025-01-01T00:00:01.000Z" });
    files.write(t.key, last);
    await files.flush();

    for (const text of seen) expect(() => JSON.parse(text)).not.toThrow();
    const text = await readFile(file, "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).toBe(`${JSON.stringify(last, null, 2)}\n`);
    expect(JSON.parse(text)).toEqual(last);
    // No temporary files left behind.
    expect(await readdir(logsDir)).toEqual(["api@web1.status.json"]);
  });

  it("keeps one file per key", async () => {
    const a = target("a");
    const b = target("b");
    const files = createStatusFiles(tmp.dir, { onError: () => {} });
    files.write("a", status(a, { state: "building" }));
    files.write("b", status(b, { state: "skipped" }));
    await files.flush();
    expect(JSON.parse(await readFile(join(tmp.dir, "a.status.json"), "utf8")).state).toBe("building");
    expect(JSON.parse(await readFile(join(tmp.dir, "b.status.json"), "utf8")).state).toBe("skipped");
  });

  it("reports a failing write once and keeps going", async () => {
    const blocker = join(tmp.dir, "blocker");
    await writeFile(blocker, "");
    const errors: string[] = [];
    const files = createStatusFiles(join(blocker, "logs"), { onError: (f) => errors.push(f) });
    const t = target("a");
    for (let i = 0; i < 3; i++) {
      files.write("a", status(t));
      await files.flush();
    }
    expect(errors).toEqual([join(blocker, "logs", "a.status.json")]);
  });
});

describe("run summary files", () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("writes runs/<run_id>.json and last-run.json with the same pretty JSON", async () => {
    const first = summary([entry("api")], { run_id: "20250101-000000-aaaa" });
    const second = summary([entry("api", { state: "failed" })], { run_id: "20250101-000100-bbbb" });
    await writeRunSummary(tmp.dir, first);
    const files = await writeRunSummary(tmp.dir, second);
    expect(files).toEqual({
      runFile: join(tmp.dir, "runs", "20250101-000100-bbbb.json"),
      lastRunFile: join(tmp.dir, "last-run.json"),
    });
    const expected = `${JSON.stringify(second, null, 2)}\n`;
    expect(await readFile(files.runFile, "utf8")).toBe(expected);
    expect(await readFile(files.lastRunFile, "utf8")).toBe(expected);
    expect((await readdir(join(tmp.dir, "runs"))).sort()).toEqual([
      "20250101-000000-aaaa.json",
      "20250101-000100-bbbb.json",
    ]);
  });
});
