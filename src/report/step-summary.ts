/**
 * GitHub Actions' job summary: when GITHUB_STEP_SUMMARY names a file, the run summary is appended to it as a
 * Markdown table, failures first, so a failed deploy's cause and log file show on the run's page. Its text passes
 * through the run's redactor first, like every other output: an error message can quote a secret.
 */
import { appendFile } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";
import type { RunSummary, ServiceSummary, TargetRef } from "../events.js";
import { type Redactor, redactSummary } from "./redact.js";
import { countLine, keyOf } from "./terminal/summary.js";
import { firstLine, formatDuration, shortCommit } from "./text.js";

export interface StepSummaryOptions {
  project: string;
  /** The logs folder, absolute. */
  logsDir: string;
  /** Log paths are shown relative to this folder when under it. */
  cwd: string;
  /** The run's targets, to name each service by its file key (`service` or `service@host`). */
  targets?: readonly TargetRef[];
  /** Masks secret values; applied before the Markdown escaping, which could otherwise split a value. */
  redact?: Redactor;
}

/** Failed and rolled back first, then skipped, then the rest, each group in the run's order. */
function rank(state: ServiceSummary["state"]): number {
  return state === "failed" || state === "rolled_back" ? 0 : state === "skipped" ? 1 : 2;
}

/** Pure: the Markdown appended for one run. */
export function renderStepSummary(run: RunSummary, options: StepSummaryOptions): string {
  const summary = options.redact ? redactSummary(run, options.redact) : run;
  const logs = displayPath(options.cwd, options.logsDir);
  const rows = [...summary.services]
    .sort((a, b) => rank(a.state) - rank(b.state))
    .map((entry) => {
      const key = keyOf(entry, summary, options.targets);
      const details = entry.error ? firstLine(entry.error.message) : firstLine(entry.reason ?? "");
      return [
        cell(key),
        cell(entry.state),
        cell(entry.error?.phase ?? ""),
        cell(details),
        code(shortCommit(entry.commit)),
        cell(formatDuration(entry.duration_ms)),
        code(`${logs}/${key}.log`),
      ];
    });
  const mark = summary.exit_code === 0 ? "✅" : "❌";
  return [
    `### ${mark} deploy ${cell(options.project)}: ${cell(countLine(summary))}`,
    "",
    "| Service | State | Phase | Error or reason | Commit | Duration | Log |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
    "",
    `Run ${code(summary.run_id)}, exit code ${summary.exit_code}.`,
    "",
    "",
  ].join("\n");
}

/** Appends the table to the summary file (created when missing, as the runner expects). */
export async function appendStepSummary(
  file: string,
  summary: RunSummary,
  options: StepSummaryOptions,
): Promise<void> {
  await appendFile(file, renderStepSummary(summary, options), { mode: 0o600 });
}

/** The logs folder as the reader knows it: relative to the working folder when inside it, else absolute. */
function displayPath(cwd: string, dir: string): string {
  const path = relative(cwd, dir);
  if (path === "") return ".";
  return path.startsWith("..") || isAbsolute(path) ? dir : path;
}

/** Text that Markdown or the table would otherwise interpret: HTML, emphasis, links, and the cell separator. */
function cell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]~]/g, "\\$&")
    .replace(/\|/g, "\\|");
}

/** A code span (plain text when it holds a backtick); GitHub's table parser needs `|` escaped inside one too. */
function code(text: string): string {
  if (text === "-" || text.includes("`")) return cell(text);
  return `\`${text.replace(/\|/g, "\\|")}\``;
}
