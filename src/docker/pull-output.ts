import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** What the engine's pull stream said, once it ended. */
export type PullOutcome = { ok: true } | { ok: false; message: string };

/**
 * Reads the engine's JSON-lines pull stream. Like a build, a failed pull can still answer 200 and report the
 * failure as an `error`/`errorDetail` line, so the stream is scanned to its end. Progress bars and per-layer
 * chatter are left out of the log: the lines kept say what was pulled and how it ended.
 */
export async function readPullOutput(stream: Readable, onLine: (line: string) => void): Promise<PullOutcome> {
  let failure: string | undefined;
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of lines) {
    if (raw.trim() === "") continue;
    const message = parseLine(raw);
    if (message.error !== undefined) failure = message.error;
    else if (message.line !== undefined) onLine(message.line);
  }
  return failure === undefined ? { ok: true } : { ok: false, message: failure };
}

/** Per-layer states worth a line; the others (waiting, downloading, extracting, …) repeat per layer. */
const LAYER_DONE = new Set(["Pull complete", "Already exists"]);

function parseLine(raw: string): { line?: string; error?: string } {
  let message: { status?: string; id?: string; error?: string; errorDetail?: { message?: string } };
  try {
    message = JSON.parse(raw);
  } catch {
    return { line: raw };
  }
  if (message.error !== undefined || message.errorDetail !== undefined) {
    return { error: message.errorDetail?.message ?? message.error ?? "the pull failed" };
  }
  const { status, id } = message;
  if (!status) return {};
  // A line with an id and a status is a layer's (or, for the first one, the tag's: "Pulling from …").
  if (id !== undefined && !LAYER_DONE.has(status) && !status.startsWith("Pulling from")) return {};
  return { line: id !== undefined && LAYER_DONE.has(status) ? `${id}: ${status}` : status };
}
