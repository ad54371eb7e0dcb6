import type { ManifestProblem } from "./types.js";

/** One step of a path into the document: a map key or a list index. */
export type PathSegment = string | number;
export type Path = readonly PathSegment[];

/** Finds the 1-based line of the node at a path (or of its nearest existing parent). */
export type LineOf = (path: Path) => number | undefined;

export function dotted(path: Path): string {
  return path.join(".");
}

/**
 * Collects every problem of one load, each with its dotted path and line. Later stages add to the same list,
 * so the caller gets all problems at once; a value whose `${VAR}` failed gets no second problem from the
 * schema (which would only be about the empty text put in its place).
 */
export class ProblemList {
  readonly #items: ManifestProblem[] = [];
  readonly #seen = new Set<string>();
  readonly #muted = new Set<string>();

  constructor(private readonly lineOf: LineOf) {}

  add(path: Path, message: string): void {
    const at = dotted(path);
    if (this.#muted.has(at)) return;
    const line = this.lineOf(path);
    // The same rule can fire once per service for a value they all inherit from `defaults`: report it once.
    const key = `${at}\u0000${line}\u0000${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#items.push(line === undefined ? { path: at, message } : { path: at, line, message });
  }

  /** Adds a problem and drops any later one at exactly the same path. */
  addAndMute(path: Path, message: string): void {
    this.add(path, message);
    this.#muted.add(dotted(path));
  }

  get size(): number {
    return this.#items.length;
  }

  /** Whole-document problems (no line) first, then by line, then by path; stable otherwise. */
  sorted(): ManifestProblem[] {
    return sortProblems(this.#items);
  }
}

export function sortProblems(problems: readonly ManifestProblem[]): ManifestProblem[] {
  return [...problems].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}
