import { inspect } from "node:util";

const REDACTED = "[REDACTED]";

/**
 * A value that must never reach a log, a status file or the terminal (environment values, build args).
 * Its string, JSON and inspect forms are all `[REDACTED]`; only `reveal()` gives the real value, and only
 * the code that hands it to the Docker engine calls that.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Reveals every value of a record of secrets, for the one place that needs them: the engine call. */
export function revealAll(values: Readonly<Record<string, Secret>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, secret]) => [key, secret.reveal()]));
}
