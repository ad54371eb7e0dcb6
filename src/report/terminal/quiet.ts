/** `--output quiet`: nothing while the run goes on (the log files have it all), the summary at the end. */
import type { RunSummary, TargetRef } from "../../events.js";
import { formatSummary } from "./summary.js";
import type { RendererOptions, TerminalRenderer } from "./types.js";

export function createQuietRenderer(options: RendererOptions): TerminalRenderer {
  let targets: TargetRef[] = [];
  return {
    start(list) {
      targets = list;
    },
    onEvent() {},
    async finish(summary: RunSummary) {
      options.stdout.write(formatSummary(summary, { ...options, targets }));
    },
  };
}
