/**
 * The end-of-run summary every human-facing renderer prints: what went wrong first (with where to look),
 * then the rest, then one count line a person or a CI log viewer can take in at a glance.
 */
import type { RunSummary, ServiceState, ServiceSummary, TargetRef } from "../../events.js";
import { firstLine, formatDuration, shortCommit } from "../text.js";
import { painter, toneOfState } from "./style.js";

export interface SummaryFormatOptions {
  color: boolean;
  /** The logs folder as shown to the user. Default `logs`. */
  logsHint?: string;
  /** The run's targets, to name each service by its file key (`service` or `service@host`). */
  targets?: readonly TargetRef[];
}

const PROBLEM_STATES: readonly ServiceState[] = ["failed", "rolled_back"];

/** Count-line order and wording. */
const COUNTED: readonly [ServiceState, string][] = [
  ["succeeded", "succeeded"],
  ["unchanged", "unchanged"],
  ["failed", "failed"],
  ["rolled_back", "rolled back"],
  ["skipped", "skipped"],
];

/** The key of a summary entry: the target's own key when known, else `service@host` for multi-host services. */
export function keyOf(
  entry: ServiceSummary,
  summary: RunSummary,
  targets: readonly TargetRef[] = [],
): string {
  const target = targets.find((t) => t.service === entry.service && t.host === entry.host);
  if (target) return target.key;
  const hosts = summary.services.filter((s) => s.service === entry.service).length;
  return hosts > 1 ? `${entry.service}@${entry.host}` : entry.service;
}

export function isProblem(state: ServiceState): boolean {
  return PROBLEM_STATES.includes(state);
}

export function countLine(summary: RunSummary): string {
  const total = summary.services.length;
  const parts: string[] = [];
  for (const [state, label] of COUNTED) {
    const n = summary.services.filter((s) => s.state === state).length;
    if (n > 0) parts.push(`${n} ${label}`);
  }
  const unfinished = summary.services.filter((s) => !COUNTED.some(([state]) => state === s.state)).length;
  if (unfinished > 0) parts.push(`${unfinished} unfinished`);
  const head = `${total} service${total === 1 ? "" : "s"}`;
  const duration = `(${formatDuration(summary.duration_ms)})`;
  return parts.length > 0 ? `${head}: ${parts.join(", ")} ${duration}` : `${head} ${duration}`;
}

/** The summary as lines, each ending with a newline. */
export function formatSummary(summary: RunSummary, options: SummaryFormatOptions): string {
  const paint = painter(options.color);
  const hint = (options.logsHint ?? "logs").replace(/\/+$/, "") || ".";
  const rows = summary.services.map((entry) => ({ entry, key: keyOf(entry, summary, options.targets) }));
  const stateWidth = Math.max(0, ...rows.map((r) => r.entry.state.length));
  const keyWidth = Math.max(0, ...rows.map((r) => r.key.length));
  const problems = rows.filter((r) => isProblem(r.entry.state));
  const others = rows.filter((r) => !isProblem(r.entry.state));

  const lines: string[] = [];
  for (const { entry, key } of problems) {
    const state = paint(toneOfState(entry.state), entry.state.padEnd(stateWidth));
    const what = entry.error
      ? `[${entry.error.phase}] ${firstLine(entry.error.message)}`
      : firstLine(entry.reason ?? "") || "no error recorded";
    lines.push(`${state}  ${paint("bold", key.padEnd(keyWidth))}  ${what} (see ${hint}/${key}.log)`);
  }
  for (const { entry, key } of others) {
    const state = paint(toneOfState(entry.state), entry.state.padEnd(stateWidth));
    const facts = [shortCommit(entry.commit).padEnd(12), formatDuration(entry.duration_ms).padStart(6)];
    const reason = firstLine(
      entry.error ? `[${entry.error.phase}] ${entry.error.message}` : (entry.reason ?? ""),
    );
    if (reason) facts.push(paint("dim", reason));
    lines.push(`${state}  ${key.padEnd(keyWidth)}  ${facts.join("  ")}`.trimEnd());
  }
  lines.push(paint(summary.exit_code === 0 ? "green" : "red", countLine(summary)));
  return lines.map((line) => `${line}\n`).join("");
}

/** Writes the summary to the renderer's stdout. */
export function printSummary(
  stream: NodeJS.WritableStream,
  summary: RunSummary,
  options: SummaryFormatOptions,
): void {
  stream.write(formatSummary(summary, options));
}
