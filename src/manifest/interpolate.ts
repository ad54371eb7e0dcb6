import type { Path } from "./problems.js";

export interface InterpolationProblem {
  path: Path;
  message: string;
}

export interface Interpolated {
  value: unknown;
  problems: InterpolationProblem[];
  /** Paths of the string values that took text from the environment: never show those values. */
  fromEnvironment: Path[];
}

/**
 * Compose-style `${VAR}` substitution in every string value (keys are left alone), before validation, so a
 * substituted value is checked like a written one:
 *   ${VAR}  ${VAR:-default} (unset or empty)  ${VAR-default} (unset)  ${VAR:?message}  ${VAR?message}
 *   $$ -> a literal $; any other $ is kept as written.
 * A variable that is needed but unset is a problem at the value's path; the text put in its place is empty.
 */
export function interpolate(value: unknown, env: NodeJS.ProcessEnv): Interpolated {
  const result: Interpolated = { value: undefined, problems: [], fromEnvironment: [] };
  result.value = walk(value, [], env, result);
  return result;
}

function walk(value: unknown, path: Path, env: NodeJS.ProcessEnv, out: Interpolated): unknown {
  if (typeof value === "string") {
    if (!value.includes("$")) return value;
    const errors: string[] = [];
    const text = substitute(value, env, errors);
    for (const message of errors) out.problems.push({ path, message });
    if (text !== value.replaceAll("$$", "$")) out.fromEnvironment.push(path);
    return text;
  }
  if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index], env, out));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key], env, out)]),
    );
  }
  return value;
}

const EXPRESSION = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([\s\S]*))?$/;

function substitute(text: string, env: NodeJS.ProcessEnv, errors: string[]): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    const next = text[i + 1];
    if (char === "$" && next === "$") {
      out += "$";
      i += 2;
    } else if (char === "$" && next === "{") {
      const end = closingBrace(text, i + 2);
      if (end < 0) {
        errors.push(`"\${" without its closing "}"`);
        return out;
      }
      out += expand(text.slice(i + 2, end), env, errors);
      i = end + 1;
    } else {
      out += char;
      i += 1;
    }
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from`; nested `${...}` in a default are skipped. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "{") {
      depth += 1;
      i += 1;
    } else if (text[i] === "}") {
      if (depth === 0) return i;
      depth -= 1;
    }
  }
  return -1;
}

function expand(body: string, env: NodeJS.ProcessEnv, errors: string[]): string {
  const match = EXPRESSION.exec(body);
  if (!match) {
    errors.push(
      `"\${${body}}" is not a variable reference: use \${NAME}, \${NAME:-default} or $$ for a literal $`,
    );
    return "";
  }
  const [, name = "", operator, argument = ""] = match;
  const value = env[name];
  const missing = operator?.startsWith(":") ? value === undefined || value === "" : value === undefined;
  if (!missing) return value ?? "";
  if (operator === ":-" || operator === "-") return substitute(argument, env, errors);
  const reason = operator?.endsWith("?") && argument !== "" ? `: ${argument}` : "";
  errors.push(`environment variable ${name} is not set${reason}`);
  return "";
}
