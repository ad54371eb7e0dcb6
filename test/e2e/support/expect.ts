import { expect } from "vitest";
import type { CliResult } from "./cli.js";

/** Asserts the exit code, showing the CLI's whole output when it is not the expected one. */
export function expectExit(result: CliResult, code: number): void {
  expect(result.code, result.output).toBe(code);
}

/** `2026-01-02T03:04:05(.678)(Z|+01:00)` at the start of a line, then the phase in brackets. */
export const EVENT_LINE =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})\s+\[(git|build|deploy|health)\]/;

/** The phases the event lines of a log file carry, in order of first appearance. */
export function logPhases(log: string): string[] {
  const phases: string[] = [];
  for (const line of log.split("\n")) {
    const phase = EVENT_LINE.exec(line)?.[1];
    if (phase && !phases.includes(phase)) phases.push(phase);
  }
  return phases;
}

/** True when some line of `text` matches every one of `patterns`. */
export function someLine(text: string, ...patterns: (string | RegExp)[]): boolean {
  return text
    .split("\n")
    .some((line) => patterns.every((p) => (typeof p === "string" ? line.includes(p) : p.test(line))));
}
