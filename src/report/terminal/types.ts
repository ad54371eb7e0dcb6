import type { RunEvent, RunSummary, TargetRef } from "../../events.js";

/** What a renderer is given; `color` is decided by the caller (TTY, NO_COLOR, --json). */
export interface RendererOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  color: boolean;
  /** The logs folder as the user should type it, for "see logs/<key>.log" hints. Default `logs`. */
  logsHint?: string;
  /** The clock for timestamped lines; tests pin it. */
  now?: () => Date;
}

/**
 * A terminal view of one run. `start` before the first event, `onEvent` for every (already redacted) event,
 * `finish` once at the end: it prints the final summary and resolves when the renderer has let go of the
 * terminal.
 */
export interface TerminalRenderer {
  start(targets: TargetRef[]): void;
  onEvent(event: RunEvent): void;
  finish(summary: RunSummary): Promise<void>;
}
