/**
 * Credentials must never reach a log file, a status file, a run summary, the webhook or the terminal (SPEC §5,
 * §12). The `Secret` type keeps them out of what we serialise ourselves, but build output, container output and
 * error messages can echo them (`RUN echo $TOKEN`, a git error quoting `https://user:token@host`), so free text
 * is filtered on the way out. Structured fields (run id, state, commit, image, times, host) are never touched:
 * a short value must not turn `succeeded` into `succ[REDACTED]eded`.
 */
import type { RunSummary, StatusRecord } from "../events.js";
import { REDACTED, redactUrl } from "../url-redact.js";

export type Redactor = (text: string) => string;

export { REDACTED };

/**
 * Values (and lines of values) shorter than this are not masked: one to three characters occur by chance in
 * any text (`1` in every time stamp), so masking them would mangle output and hide nothing worth guessing.
 */
export const MIN_MASKED_LENGTH = 4;

const LINE_BREAK = /\r\n|\n|\r/;

/** What output is searched for to mask `value`: each of its lines, trimmed, that is long enough. */
export function maskedPieces(value: string): string[] {
  return value
    .split(LINE_BREAK)
    .map((line) => line.trim())
    .filter((line) => line.length >= MIN_MASKED_LENGTH);
}

/** Whether some line of `value` is too short to be masked (and so could show in output): validate warns. */
export function tooShortToMask(value: string): boolean {
  return value.split(LINE_BREAK).some((line) => {
    const length = line.trim().length;
    return length > 0 && length < MIN_MASKED_LENGTH;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Masks every occurrence of the secret values (each line of a multi-line value, see maskedPieces) and the user
 * info of URLs. Longest pieces first, so a secret that contains another is replaced whole.
 */
export function createRedactor(secretValues: readonly string[]): Redactor {
  const pieces = [...new Set(secretValues.flatMap(maskedPieces))].sort((a, b) => b.length - a.length);
  if (pieces.length === 0) return redactUrl;
  const pattern = new RegExp(pieces.map(escapeRegExp).join("|"), "g");
  return (text) => redactUrl(text.replace(pattern, REDACTED));
}

type ErrorField = { phase: string; message: string } | null;

function redactError<E extends ErrorField>(error: E, redact: Redactor): E {
  return error === null ? error : { ...error, message: redact(error.message) };
}

/** A status record with its free text (reason, error message) redacted; every other field as it was. */
export function redactStatus(status: StatusRecord, redact: Redactor): StatusRecord {
  return {
    ...status,
    reason: status.reason === null ? null : redact(status.reason),
    error: redactError(status.error, redact),
  };
}

/** A run summary with each service's free text redacted; ids, states, commits, images and times untouched. */
export function redactSummary(summary: RunSummary, redact: Redactor): RunSummary {
  return {
    ...summary,
    services: summary.services.map((service) => ({
      ...service,
      reason: service.reason === null ? null : redact(service.reason),
      error: redactError(service.error, redact),
    })),
  };
}
