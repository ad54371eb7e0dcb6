/**
 * `--json`: stdout carries the run summary and nothing else (SPEC §1), so a script can pipe it to `jq`.
 * Progress stays in the log and status files.
 */
import type { RunSummary } from "../../events.js";
import type { RendererOptions, TerminalRenderer } from "./types.js";

export function createJsonRenderer(options: Pick<RendererOptions, "stdout">): TerminalRenderer {
  return {
    start() {},
    onEvent() {},
    async finish(summary: RunSummary) {
      options.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    },
  };
}
