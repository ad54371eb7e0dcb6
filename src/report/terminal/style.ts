/**
 * The few colours the summary and plain lines use. Plain SGR codes rather than a colour library, so that
 * colour follows only the caller's `color` flag (it has weighed TTY, NO_COLOR and --json), never the
 * environment a library would sniff on its own.
 */
import type { ServiceState } from "../../events.js";

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Tone = keyof typeof CODES;

export type Paint = (tone: Tone, text: string) => string;

export function painter(color: boolean): Paint {
  if (!color) return (_tone, text) => text;
  return (tone, text) => `\u001b[${CODES[tone]}m${text}\u001b[0m`;
}

export function toneOfState(state: ServiceState): Tone {
  switch (state) {
    case "succeeded":
      return "green";
    case "failed":
    case "rolled_back":
      return "red";
    case "skipped":
      return "yellow";
    default:
      return "dim";
  }
}
