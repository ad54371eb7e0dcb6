import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** What the engine's build stream said, once it ended. */
export type BuildOutcome = { ok: true; imageId?: string } | { ok: false; message: string };

const TAIL_LINES = 12;

/**
 * Reads the engine's JSON-lines build stream. A failed build does not fail the HTTP request: the engine
 * answers 200 and reports the failure as an `error`/`errorDetail` line, so the stream must be scanned.
 * Every output line goes to `onLine`; a failure message names the failing step and its last output lines.
 */
export async function readBuildOutput(
  stream: Readable,
  onLine: (line: string) => void,
): Promise<BuildOutcome> {
  const tail: string[] = [];
  let step: string | undefined;
  let imageId: string | undefined;
  let failure: string | undefined;
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of lines) {
    if (raw.trim() === "") continue;
    const message = parseLine(raw);
    if (message.error) {
      failure = message.error;
      continue;
    }
    if (message.imageId) imageId = message.imageId;
    for (const line of message.text) {
      if (/^Step \d+\/\d+ :/.test(line)) step = line;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      onLine(line);
    }
  }
  if (failure === undefined) return { ok: true, imageId };
  const where = step ? ` at ${step}` : "";
  const output = tail.length > 0 ? `\n${tail.map((line) => `  | ${line}`).join("\n")}` : "";
  return { ok: false, message: `build failed${where}: ${failure}${output}` };
}

interface ParsedLine {
  text: string[];
  error?: string;
  imageId?: string;
}

function parseLine(raw: string): ParsedLine {
  let message: {
    stream?: string;
    status?: string;
    error?: string;
    errorDetail?: { message?: string };
    aux?: { ID?: string };
  };
  try {
    message = JSON.parse(raw);
  } catch {
    return { text: [raw] };
  }
  if (message.error || message.errorDetail) {
    return { text: [], error: (message.errorDetail?.message ?? message.error ?? "unknown error").trim() };
  }
  const body = message.stream ?? message.status ?? "";
  const text = body
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line !== "");
  return { text, imageId: message.aux?.ID };
}
