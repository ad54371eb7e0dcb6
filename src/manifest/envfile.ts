export interface EnvFile {
  values: Record<string, string>;
  /** Lines that are not `KEY=VALUE`; the messages name the line, never its text (it may hold a secret). */
  errors: string[];
}

const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;

/**
 * Compose's env_file format: `KEY=VALUE` per line, blank lines and `#` comments skipped, an optional `export `,
 * values optionally in single quotes (literal) or double quotes (with \n, \t, \" and \\ escapes); an unquoted
 * value ends at ` #`.
 */
export function parseEnvFile(text: string): EnvFile {
  const result: EnvFile = { values: {}, errors: [] };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = ASSIGNMENT.exec(line);
    const key = match?.[1];
    const value = match ? unquote(match[2] ?? "") : undefined;
    if (key === undefined || value === undefined) {
      result.errors.push(`line ${index + 1}: expected KEY=VALUE (quotes must be closed)`);
      return;
    }
    result.values[key] = value;
  });
  return result;
}

function unquote(written: string): string | undefined {
  const quote = written[0];
  if (quote === "'" || quote === '"') {
    const end = closingQuote(written, quote);
    if (end < 0) return undefined;
    const rest = written.slice(end + 1).trim();
    if (rest !== "" && !rest.startsWith("#")) return undefined;
    const inner = written.slice(1, end);
    return quote === "'" ? inner : inner.replace(/\\([nt"\\])/g, (_, c: string) => ESCAPES[c] ?? c);
  }
  const comment = written.search(/\s#/);
  return (comment < 0 ? written : written.slice(0, comment)).trim();
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", '"': '"', "\\": "\\" };

function closingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (quote === '"' && text[i] === "\\") i += 1;
    else if (text[i] === quote) return i;
  }
  return -1;
}
