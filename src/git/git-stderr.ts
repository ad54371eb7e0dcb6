/**
 * Pure: the lines of git's stderr that say why it failed. Git ends a failed fetch with generic advice
 * ("Please make sure you have the correct access rights…") after the line with the cause (ssh's
 * "Could not resolve hostname", "Permission denied (publickey)", "Host key verification failed"), so the
 * last lines alone hide it.
 */

/** Advice and noise, never a cause. */
const NOISE = [
  /^Please make sure you have the correct access rights$/i,
  /^and the repository exists\.?$/i,
  /^hint:/i,
  /^Warning: Permanently added /i,
];

/** What a cause looks like: git's own fatal/error lines, the remote's words, ssh's and the network's. */
const CAUSE = [
  /^(?:fatal|error|remote|ssh|ERROR):/i,
  /permission denied/i,
  /host key verification failed/i,
  /could not resolve/i,
  /connection (?:refused|timed out|closed|reset)/i,
  /no route to host/i,
  /network is unreachable/i,
  /not found/i,
];

const MAX_LINES = 6;

export function informativeLines(stderr: string): string[] {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !NOISE.some((pattern) => pattern.test(line)));
  const causes = lines.filter((line) => CAUSE.some((pattern) => pattern.test(line)));
  // Nothing recognised: git's last words are the best guess.
  const chosen = causes.length > 0 ? causes : lines.slice(-3);
  return [...new Set(chosen)].slice(0, MAX_LINES);
}
