import type * as z from "zod";
import { check } from "./issues.js";
import type { Path, ProblemList } from "./problems.js";

export interface Checked<T> {
  value: T;
  /** Keys whose written value had a problem and was left out: rules must not judge what is missing. */
  invalid: ReadonlySet<string>;
}

type Shape = Record<string, z.ZodType>;

/**
 * Checks an object against its schema, reporting every problem, and keeps what is usable: when the object as a
 * whole fails, each key is checked alone and the valid ones are kept. So one bad `health.timeout` does not
 * hide the unknown host or the port clash of the same service: the cross-field rules still see the rest.
 * Undefined when nothing usable is left (not an object, or not exactly one key of `oneOf` is valid).
 */
export function checkSalvaging<S extends z.ZodObject>(
  schema: S,
  written: unknown,
  at: Path,
  problems: ProblemList,
  oneOf: readonly string[] = [],
): Checked<z.output<S>> | undefined {
  const whole = check(schema, written, at, problems);
  if (whole !== undefined) return { value: whole, invalid: new Set() };
  if (typeof written !== "object" || written === null || Array.isArray(written)) return undefined;

  const shape: Shape = schema.shape;
  const value: Record<string, unknown> = {};
  const invalid = new Set<string>();
  for (const [key, item] of Object.entries(written)) {
    const field = shape[key];
    if (field === undefined) continue;
    const result = field.safeParse(item);
    if (result.success) value[key] = result.data;
    else invalid.add(key);
  }
  // The object-level rule (host or hosts, not both): keep neither rather than guess.
  if (value.host !== undefined && value.hosts !== undefined) {
    for (const key of ["host", "hosts"]) {
      delete value[key];
      invalid.add(key);
    }
  }
  if (oneOf.length > 0 && oneOf.filter((key) => value[key] !== undefined).length !== 1) return undefined;
  return { value: value as z.output<S>, invalid };
}
