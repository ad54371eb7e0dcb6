import type { Argv } from "yargs";
import { UsageError } from "../errors.js";
import { DURATION_PATTERN } from "../manifest/values.js";

/**
 * `DEPLOY_<OPTION>` variables (SPEC §12). Only the options below are read, each as its own type: CI runners
 * hold unrelated `DEPLOY_*` secrets (`DEPLOY_KEY`, `DEPLOY_TOKEN`), which must neither break the command line
 * nor ever be echoed. A value that cannot be read is a usage error naming the variable, never its value.
 * A new option is read from the environment only once it is listed here (`unlock --force` deliberately is not).
 */
type Kind = "boolean" | "count" | "whole" | "text" | "duration" | { choices: readonly string[] };

export const ENV_OPTIONS: Readonly<Record<string, Kind>> = {
  file: "text",
  "logs-dir": "text",
  "cache-dir": "text",
  "metrics-file": "text",
  output: { choices: ["tree", "plain", "quiet"] },
  json: "boolean",
  concurrency: "count",
  "lock-wait": "duration",
  "force-rebuild": "boolean",
  "dry-run": "boolean",
  "fail-fast": "boolean",
  rollback: "boolean",
  // rollback
  to: "text",
  // logs
  host: "text",
  follow: "boolean",
  tail: "whole",
  since: "text",
  run: "text",
};

/** `lock-wait` → `DEPLOY_LOCK_WAIT`. */
export function envVariableOf(option: string): string {
  return `DEPLOY_${option.toUpperCase().replaceAll("-", "_")}`;
}

const TRUE = new Set(["1", "true", "yes"]);
const FALSE = new Set(["0", "false", "no"]);

/** `1/0`, `true/false`, `yes/no` in any case; undefined for anything else. */
export function parseBoolean(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  return undefined;
}

type EnvValue = string | number | boolean;

function readValue(variable: string, kind: Kind, text: string): EnvValue {
  const value = text.trim();
  const bad = (expected: string) => new UsageError(`${variable}: expected ${expected}`);
  if (kind === "boolean") {
    const flag = parseBoolean(value);
    if (flag === undefined) throw bad("1/0, true/false or yes/no");
    return flag;
  }
  if (kind === "count" || kind === "whole") {
    const least = kind === "count" ? 1 : 0;
    if (!/^\d+$/.test(value) || Number(value) < least) throw bad(`a whole number of at least ${least}`);
    return Number(value);
  }
  if (kind === "duration") {
    if (!/^\d+(\.\d+)?$/.test(value) && !DURATION_PATTERN.test(value))
      throw bad("a duration like 30s or 10m");
    return value; // the option's own coerce turns it into milliseconds, as it does for the flag
  }
  if (kind === "text") return value;
  if (!kind.choices.includes(value)) throw bad(`one of ${kind.choices.join(", ")}`);
  return value;
}

/**
 * The values the environment gives to `accepted` options (a command's own), keyed by option name. Empty
 * variables count as unset. `DEPLOY_NO_<FLAG>` negates a boolean flag, as `--no-<flag>` does.
 */
export function envOptions(env: NodeJS.ProcessEnv, accepted: readonly string[]): Record<string, EnvValue> {
  const values: Record<string, EnvValue> = {};
  for (const option of accepted) {
    const kind = ENV_OPTIONS[option];
    if (kind === undefined) continue;
    const variable = envVariableOf(option);
    const text = env[variable];
    if (text !== undefined && text.trim() !== "") values[option] = readValue(variable, kind, text);
    const negated = envVariableOf(`no-${option}`);
    const negatedText = env[negated];
    if (kind !== "boolean" || negatedText === undefined || negatedText.trim() === "") continue;
    const value = !readValue(negated, kind, negatedText);
    if (option in values && values[option] !== value) {
      throw new UsageError(`${variable} and ${negated} contradict each other: set one of them`);
    }
    values[option] = value;
  }
  return values;
}

/**
 * Gives the options already defined on `yargs` (a command's builder) their `DEPLOY_*` values, below the
 * command line and above the defaults (yargs' config objects sit exactly there, and coerce still applies).
 */
export function withEnvOptions<T>(yargs: Argv<T>, env: NodeJS.ProcessEnv): Argv<T> {
  // `getOptions` is public in yargs but missing from its type definitions.
  const { key } = (yargs as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions();
  const defined = Object.keys(key);
  const values = envOptions(env, defined);
  return Object.keys(values).length === 0 ? yargs : yargs.config(values);
}
