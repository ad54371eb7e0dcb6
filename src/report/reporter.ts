/**
 * The one sink the run layer writes to: every event goes, redacted, to the target's log file, its status
 * file and the terminal renderer; `finish` writes the run summary and closes everything.
 *
 * Reporting must never break a deploy: a file that cannot be written is reported once on stderr and the run
 * carries on, and the sink itself never throws.
 */
import { relative } from "node:path";
import type { EventSink, RunEvent, RunSummary, TargetRef } from "../events.js";
import { createLogFiles } from "./log-file.js";
import { createRedactor, redactStatus, redactSummary } from "./redact.js";
import { writeRunSummary } from "./run-summary.js";
import { createStatusFiles } from "./status-file.js";
import { createRenderer, type OutputMode } from "./terminal/index.js";
import { cleanText } from "./text.js";

export interface ReporterOptions {
  logsDir: string;
  runId: string;
  output: OutputMode;
  targets: TargetRef[];
  /** The branch to name in a log header when a target's first event is a log line. */
  branchOf?: (target: TargetRef) => string | undefined;
  /** Values that must not appear in any file or on the terminal (environment, env_file, build args, webhook). */
  secretValues: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  color: boolean;
  /** For tests: the time stamped on log and plain lines. */
  now?: () => Date;
}

export interface Reporter {
  sink: EventSink;
  /** Writes the run summary files, flushes and closes the log and status files, prints the summary. */
  finish(summary: RunSummary): Promise<void>;
}

export function createReporter(options: ReporterOptions): Reporter {
  const redact = createRedactor(options.secretValues);
  const reported = new Set<string>();
  const reportError = (file: string, error: unknown): void => {
    if (reported.has(file)) return;
    reported.add(file);
    const message = error instanceof Error ? error.message : String(error);
    try {
      options.stderr.write(`deploy: cannot write ${file}: ${redact(message)} (the deploy carries on)\n`);
    } catch {
      // Nowhere left to say it; the deploy matters more than the report.
    }
  };

  const logs = createLogFiles({
    logsDir: options.logsDir,
    runId: options.runId,
    branchOf: options.branchOf,
    now: options.now,
    onError: reportError,
  });
  const statuses = createStatusFiles(options.logsDir, { onError: reportError });
  const logsHint = relative(process.cwd(), options.logsDir) || ".";
  const renderer = createRenderer(options.output, {
    stdout: options.stdout,
    stderr: options.stderr,
    color: options.color,
    logsHint,
    now: options.now,
  });
  renderer.start(options.targets);
  let finishing: Promise<void> | null = null;

  /** Log lines lose colour codes before redaction, so a secret split by an escape sequence is still found. */
  function scrub(event: RunEvent): RunEvent {
    if (event.type === "log") return { ...event, line: redact(cleanText(event.line)) };
    return { ...event, status: redactStatus(event.status, redact) };
  }

  function guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      reportError(what, error);
    }
  }

  return {
    sink(event) {
      if (finishing) return;
      let clean: RunEvent;
      try {
        clean = scrub(event);
      } catch (error) {
        reportError("the event stream", error);
        return;
      }
      guard(`the log of ${clean.target.key}`, () => logs.onEvent(clean));
      if (clean.type === "status") {
        const { key } = clean.target;
        guard(`the status of ${key}`, () => statuses.write(key, clean.status));
      }
      guard("to the terminal", () => renderer.onEvent(clean));
    },

    finish(summary) {
      finishing ??= (async () => {
        const clean = redactSummary(summary, redact);
        await writeRunSummary(options.logsDir, clean).catch((error) => reportError("the run summary", error));
        await statuses.flush();
        await logs.close();
        await renderer.finish(clean).catch((error) => reportError("to the terminal", error));
      })();
      return finishing;
    },
  };
}
