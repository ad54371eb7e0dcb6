/**
 * For cron and CI logs: one timestamped line per state change and per line worth reading later, never a
 * cursor movement or colour code. Build output is mostly noise here (it is all in the log file), so only
 * its `Step N/M` lines are kept, which show how far a build got.
 */
import type { LogPhase, RunSummary, ServiceState, StatusRecord, TargetRef } from "../../events.js";
import { firstLine, formatDuration, shortCommit, toLines } from "../text.js";
import { formatSummary } from "./summary.js";
import type { RendererOptions, TerminalRenderer } from "./types.js";

/** Whether a log line belongs in plain output. */
export function isImportantLine(phase: LogPhase, line: string): boolean {
  return phase !== "build" || line.trimStart().startsWith("Step ");
}

/** The short text after the state on a status line. */
export function statusDetail(status: StatusRecord): string {
  switch (status.state) {
    case "pending":
      return "";
    case "cloning":
      return `ref ${status.branch}`;
    case "building":
      return status.commit ? `commit ${shortCommit(status.commit)}` : "";
    case "deploying":
      return status.image ? `image ${status.image}` : "";
    case "checking":
      return `gate ${status.health_gate}`;
    default: {
      const parts = [formatDuration(status.duration_ms)];
      if (status.error) parts.push(`[${status.error.phase}] ${firstLine(status.error.message)}`);
      else if (status.reason) parts.push(firstLine(status.reason));
      return parts.join(" ");
    }
  }
}

export function createPlainRenderer(options: RendererOptions): TerminalRenderer {
  const now = options.now ?? (() => new Date());
  const lastState = new Map<string, ServiceState>();
  let targets: TargetRef[] = [];

  function line(key: string, what: string, text: string): void {
    const tail = text ? ` ${text}` : "";
    options.stdout.write(`${now().toISOString()} ${key} ${what}${tail}\n`);
  }

  return {
    start(list) {
      targets = list;
    },

    onEvent(event) {
      const key = event.target.key;
      if (event.type === "status") {
        if (lastState.get(key) === event.status.state) return;
        lastState.set(key, event.status.state);
        line(key, event.status.state, statusDetail(event.status));
        return;
      }
      for (const text of toLines(event.line)) {
        if (isImportantLine(event.phase, text)) line(key, event.phase, text);
      }
    },

    async finish(summary: RunSummary) {
      options.stdout.write(`\n${formatSummary(summary, { ...options, targets })}`);
    },
  };
}
