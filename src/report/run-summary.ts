/**
 * The run summary (SPEC §5): `runs/<run-id>.json` keeps every run's record, `last-run.json` is the one a
 * script reads without knowing the id. Both are written atomically, the history first, so `last-run.json`
 * never names a run whose own file is missing.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import type { RunSummary } from "../events.js";
import { DIR_MODE, FILE_MODE } from "./file-modes.js";

export interface RunSummaryFiles {
  runFile: string;
  lastRunFile: string;
}

export function runSummaryFiles(logsDir: string, runId: string): RunSummaryFiles {
  return { runFile: join(logsDir, "runs", `${runId}.json`), lastRunFile: join(logsDir, "last-run.json") };
}

/** Writes both files; rejects on the first failure (the caller decides whether that matters). */
export async function writeRunSummary(logsDir: string, summary: RunSummary): Promise<RunSummaryFiles> {
  const files = runSummaryFiles(logsDir, summary.run_id);
  const data = `${JSON.stringify(summary, null, 2)}\n`;
  await mkdir(join(logsDir, "runs"), { recursive: true, mode: DIR_MODE });
  await writeFileAtomic(files.runFile, data, { mode: FILE_MODE });
  await writeFileAtomic(files.lastRunFile, data, { mode: FILE_MODE });
  return files;
}
