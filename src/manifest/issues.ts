import type { core, z } from "zod";
import { composeKeyMessage } from "./compose-keys.js";
import type { Path, ProblemList } from "./problems.js";
import { KNOWN_KEYS } from "./schema.js";

/**
 * zod issues -> manifest problems. zod's own texts ("Invalid input: expected string, received number") are
 * replaced by short ones, a union's failure is reported from the branch the value was meant for, and each
 * unknown key is its own problem at its own line. No message repeats a written value: it may be a secret
 * that came from the environment.
 */

/** Checks `value` (found at `at`) against `schema`; its problems go to `problems`; undefined when invalid. */
export function check<S extends z.ZodType>(
  schema: S,
  value: unknown,
  at: Path,
  problems: ProblemList,
): z.output<S> | undefined {
  const result = schema.safeParse(value, { reportInput: true, error: issueMessage });
  if (result.success) return result.data;
  for (const issue of result.error.issues) addIssue(issue, at, problems);
  return undefined;
}

function addIssue(issue: core.$ZodIssue, at: Path, problems: ProblemList): void {
  const path = [...at, ...(issue.path as PropertyKey[]).map(segment)];
  if (issue.code === "unrecognized_keys") {
    for (const key of issue.keys) problems.add([...path, key], unknownKeyMessage(path, key));
  } else if (issue.code === "invalid_union") {
    const branch = intendedBranch(issue.errors);
    if (branch) for (const inner of branch) addIssue(inner, path, problems);
    else problems.add(path, `expected ${alternatives(issue.errors)}, got ${kindOf(issue.input)}`);
  } else {
    problems.add(path, issue.message);
  }
}

function segment(key: PropertyKey): string | number {
  return typeof key === "number" ? key : String(key);
}

/** A branch that got past the type check (a string that failed its pattern, an object with a bad key). */
function intendedBranch(branches: core.$ZodIssue[][]): core.$ZodIssue[] | undefined {
  return branches.find((issues) => !issues.every(isTypeMismatch));
}

function isTypeMismatch(issue: core.$ZodIssue): boolean {
  return issue.path.length === 0 && (issue.code === "invalid_type" || issue.code === "invalid_value");
}

function alternatives(branches: core.$ZodIssue[][]): string {
  const names = new Set<string>();
  for (const issue of branches.flat()) {
    if (issue.code === "invalid_type") names.add(typeName(issue.expected));
    else if (issue.code === "invalid_value") for (const v of issue.values) names.add(JSON.stringify(v));
    else if (issue.code === "invalid_union") names.add(alternatives(issue.errors));
  }
  const list = [...names];
  return list.length <= 1
    ? (list[0] ?? "something else")
    : `${list.slice(0, -1).join(", ")} or ${list.at(-1)}`;
}

/** The per-parse error map: messages for zod's built-in checks (schema-level messages take precedence). */
export function issueMessage(issue: core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined
        ? "is required"
        : `expected ${typeName(issue.expected)}, got ${kindOf(issue.input)}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return sizeMessage(issue.origin, "at least", "more than", issue.minimum, issue.inclusive);
    case "too_big":
      return sizeMessage(issue.origin, "at most", "less than", issue.maximum, issue.inclusive);
    case "invalid_format":
      return issue.format === "starts_with" ? `must start with "${issue.prefix}"` : "has the wrong format";
    default:
      return undefined;
  }
}

function sizeMessage(
  origin: string,
  inclusiveWord: string,
  exclusiveWord: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
): string {
  if (origin === "string" && Number(limit) === 1) return "must not be empty";
  if (origin === "array")
    return `needs ${inclusive === false ? exclusiveWord : inclusiveWord} ${limit} item(s)`;
  if (origin === "string") return `must have ${inclusiveWord} ${limit} character(s)`;
  return `must be ${inclusive === false ? exclusiveWord : inclusiveWord} ${limit}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a map (key: value)",
  record: "a map (key: value)",
  array: "a list",
  null: "nothing (null)",
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function kindOf(input: unknown): string {
  if (input === null || input === undefined) return "nothing";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a map";
  if (typeof input === "number") return Number.isInteger(input) ? "a whole number" : "a number";
  if (typeof input === "boolean") return `${input}`;
  return `a ${typeof input}`;
}

/** "unknown key "helth" (did you mean "health"?)"; repo, image and depends_on under defaults, and Docker
 * Compose's keys, get their reason. */
function unknownKeyMessage(objectPath: Path, key: string): string {
  const perService = ["repo", "image", "depends_on"];
  if (objectPath.length === 1 && objectPath[0] === "defaults" && perService.includes(key)) {
    return `${key} cannot be a default: give it on each service`;
  }
  const compose = composeKeyMessage(
    objectPath[0] === "defaults" ? ["services", "*", ...objectPath.slice(1)] : objectPath,
    key,
  );
  if (compose) return compose;
  const known = knownKeysAt(objectPath);
  const guess = known && closest(key, known);
  return `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ""}`;
}

function knownKeysAt(path: Path): readonly string[] | undefined {
  const [first] = path;
  if (path.length === 0) return KNOWN_KEYS.top;
  if (path.at(-1) === "health") return KNOWN_KEYS.health;
  if (first === "defaults" && path.length === 1) return KNOWN_KEYS.service;
  if (first === "services" && path.length === 2) return KNOWN_KEYS.service;
  if (path.at(-1) === "build") return KNOWN_KEYS.build;
  if (first === "hosts" && path.length === 2) return KNOWN_KEYS.host;
  return undefined;
}

/** The known key within a small edit distance (typos like `enviroment`, `dependsOn`), or that the key
 * starts with (Compose's `healthcheck`). */
function closest(key: string, known: readonly string[]): string | undefined {
  const plain = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const prefix = candidate.length >= 4 && plain(key).startsWith(plain(candidate));
    const distance = prefix ? 1 : editDistance(plain(key), plain(candidate));
    if (distance <= Math.max(1, Math.floor(candidate.length / 4)) && (!best || distance < best.distance)) {
      best = { key: candidate, distance };
    }
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
