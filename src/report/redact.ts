/**
 * Secret values (environment, env_file, build_args) must never reach a log file, a status file or the
 * terminal (SPEC §5). The `Secret` type keeps them out of what we serialise ourselves, but build output and
 * error messages from the engine can echo them (`RUN echo $TOKEN`), so every line is filtered on the way out.
 */

export type Redactor = (line: string) => string;

export const REDACTED = "[REDACTED]";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Replaces every occurrence of any of `secretValues` with `[REDACTED]`. Longest values first, so a secret
 * that contains another is replaced whole rather than leaving its tail. Empty strings are ignored (they
 * would match everywhere); short values are not, since leaking a short password is still a leak.
 */
export function createRedactor(secretValues: readonly string[]): Redactor {
  const values = [...new Set(secretValues.filter((value) => value.length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  if (values.length === 0) return (line) => line;
  const pattern = new RegExp(values.map(escapeRegExp).join("|"), "g");
  return (line) => line.replace(pattern, REDACTED);
}

/**
 * A copy of a JSON-like value with every string redacted: status records and summaries carry error messages
 * and reasons written from engine output, which can hold a secret just as a log line can.
 */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, redact)) as T;
  if (value !== null && typeof value === "object") {
    // Dates, `Secret`s and the like say themselves how they serialise: redact that form.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return redactDeep(toJSON.call(value), redact) as T;
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = redactDeep(item, redact);
    return copy as T;
  }
  return value;
}
