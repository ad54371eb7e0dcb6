import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { BuildKitTrace } from "./buildkit-trace.js";

/** What the engine's build stream said, once it ended. */
export type BuildOutcome = { ok: true; imageId?: string } | { ok: false; message: string };

const TAIL_LINES = 12;

/**
 * Reads the engine's JSON-lines build stream, from either builder. A failed build does not fail the HTTP
 * request: the engine answers 200 and reports the failure as an `error`/`errorDetail` line, so the stream must
 * be scanned. Every output line goes to `onLine`; a failure message names the failing step and its last output
 * lines. BuildKit's output comes as protobuf trace messages, decoded by BuildKitTrace (loaded on the first one).
 */
export async function readBuildOutput(
  stream: Readable,
  onLine: (line: string) => void,
): Promise<BuildOutcome> {
  const tail: string[] = [];
  let step: string | undefined;
  let imageId: string | undefined;
  let failure: string | undefined;
  let trace: BuildKitTrace | undefined;
  const say = (text: string[]) => {
    for (const line of text) {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      onLine(line);
    }
  };
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const raw of lines) {
    if (raw.trim() === "") continue;
    const message = parseLine(raw);
    if (message.error) {
      failure = message.error;
      continue;
    }
    if (message.imageId) imageId = message.imageId;
    if (message.trace !== undefined) {
      trace ??= new (await import("./buildkit-trace.js")).BuildKitTrace(TAIL_LINES);
      say(trace.read(message.trace));
      step = trace.step;
      continue;
    }
    for (const line of message.text) {
      if (/^Step \d+\/\d+ :/.test(line)) step = line;
    }
    say(message.text);
  }
  if (trace) say(trace.flush());
  if (failure === undefined) return { ok: true, imageId };
  const where = step ? ` at ${step}` : "";
  const last = trace?.failedOutput() ?? tail;
  const output = last.length > 0 ? `\n${last.map((line) => `  | ${line}`).join("\n")}` : "";
  return { ok: false, message: `build failed${where}: ${failure}${output}` };
}

interface ParsedLine {
  text: string[];
  error?: string;
  imageId?: string;
  /** A BuildKit trace message: a base64-encoded protobuf StatusResponse. */
  trace?: string;
}

function parseLine(raw: string): ParsedLine {
  let message: {
    stream?: string;
    status?: string;
    error?: string;
    errorDetail?: { message?: string };
    id?: string;
    aux?: { ID?: string } | string;
  };
  try {
    message = JSON.parse(raw);
  } catch {
    return { text: [raw] };
  }
  if (message.error || message.errorDetail) {
    return { text: [], error: (message.errorDetail?.message ?? message.error ?? "unknown error").trim() };
  }
  if (message.id === "moby.buildkit.trace" && typeof message.aux === "string") {
    return { text: [], trace: message.aux };
  }
  const imageId = typeof message.aux === "object" ? message.aux.ID : undefined;
  const body = message.stream ?? message.status ?? "";
  const text = body
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line !== "");
  return { text, imageId };
}
