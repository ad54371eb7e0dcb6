/**
 * Text clean-up shared by the log file and the terminal renderers: build output arrives with colour codes,
 * CRLF endings and carriage-return progress bars, none of which belong in a log file or a status line.
 */

// ANSI escape sequences: CSI (colours, cursor moves) and OSC (titles, hyperlinks), as the `ansi-regex` package
// matches them.
const ANSI_PATTERN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
  /[\u001B\u009B][[\]()#;?]*(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007|(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-nq-uy=><~])/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, "");
}

/**
 * One physical line as a terminal would leave it: colour codes removed and, when the line was redrawn with
 * `\r` (progress bars), only the last drawing kept. A trailing `\r` (CRLF) is just dropped.
 */
function cleanLine(line: string): string {
  const plain = stripAnsi(line).replace(/\r+$/, "");
  const lastReturn = plain.lastIndexOf("\r");
  return lastReturn === -1 ? plain : plain.slice(lastReturn + 1);
}

/** Cleans every line of `text` but keeps its line breaks (so a later split still sees them). */
export function cleanText(text: string): string {
  return text.split("\n").map(cleanLine).join("\n");
}

/** The non-blank lines of `text`, cleaned: one log event may carry several lines of output. */
export function toLines(text: string): string[] {
  return text
    .split("\n")
    .map(cleanLine)
    .filter((line) => line.trim() !== "");
}

export function firstLine(text: string): string {
  return toLines(text)[0] ?? "";
}

/** `0.4s`, `12.3s`, `2m05s`; `-` when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes}m${String(seconds).padStart(2, "0")}s`;
}

/** The first 12 characters of a commit, as `git log --oneline` users recognise them. */
export function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 12) : "-";
}
