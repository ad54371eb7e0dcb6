/**
 * Pure: what a deploy's ref names in a repository — a branch, a tag or a commit — from `git ls-remote` output,
 * and the messages for a ref that names nothing or too much.
 */

/** What the asked-for ref turned out to be; recorded in the status file and on each release. */
import type { RefKind } from "../events.js";

export type { RefKind };

export const REF_KINDS: readonly RefKind[] = ["branch", "tag", "commit"];

/** The remote's branches and tags, each with the commit it names (an annotated tag peeled to its commit). */
export interface RemoteRefs {
  branches: ReadonlyMap<string, string>;
  tags: ReadonlyMap<string, string>;
}

/** `git ls-remote --heads --tags` output (`<oid>\t<refname>` lines; `refs/tags/X^{}` is X's peeled commit). */
export function parseLsRemote(output: string): RemoteRefs {
  const branches = new Map<string, string>();
  const tags = new Map<string, string>();
  const peeled = new Map<string, string>();
  for (const line of output.split("\n")) {
    const [oid, name] = line.trim().split("\t");
    if (!oid || !name || !/^[0-9a-f]{40,64}$/.test(oid)) continue;
    if (name.startsWith("refs/heads/")) branches.set(name.slice("refs/heads/".length), oid);
    else if (name.startsWith("refs/tags/")) {
      const tag = name.slice("refs/tags/".length);
      if (tag.endsWith("^{}")) peeled.set(tag.slice(0, -3), oid);
      else tags.set(tag, oid);
    }
  }
  // An annotated tag's own id names the tag object; the commit is what a deploy builds and compares.
  for (const [tag, commit] of peeled) tags.set(tag, commit);
  return { branches, tags };
}

/** A full commit id (SHA-1 or SHA-256): fetched directly, never looked up among branches and tags. */
export function isFullCommitId(ref: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(ref);
}

/** The shortest abbreviation accepted, as git's own `--disambiguate`. */
export const MIN_ABBREVIATION = 4;

export type RefTarget =
  | { kind: "branch" | "tag"; name: string; commit: string }
  | { kind: "commit"; commit: string }
  | { kind: "abbreviation"; prefix: string }
  | { kind: "unknown" };

/**
 * What `ref` names. A branch wins over a tag of the same name (the manifest's `branch` always meant a branch),
 * and either wins over a commit id it happens to look like.
 */
export function classifyRef(ref: string, remote: RemoteRefs): RefTarget {
  const branch = remote.branches.get(ref);
  if (branch !== undefined) return { kind: "branch", name: ref, commit: branch };
  const tag = remote.tags.get(ref);
  if (tag !== undefined) return { kind: "tag", name: ref, commit: tag };
  if (isFullCommitId(ref)) return { kind: "commit", commit: ref.toLowerCase() };
  if (new RegExp(`^[0-9a-f]{${MIN_ABBREVIATION},63}$`, "i").test(ref))
    return { kind: "abbreviation", prefix: ref.toLowerCase() };
  return { kind: "unknown" };
}

/** `git cat-file --batch-check` output (`<oid> <type> <size>` lines, `<oid> missing`) → the commits. */
export function commitsIn(batchCheck: string): string[] {
  return batchCheck.split("\n").flatMap((line) => {
    const [oid, type] = line.trim().split(" ");
    return oid && type === "commit" ? [oid] : [];
  });
}

/** How many names of each kind a message lists. */
const NAMES_SHOWN = 5;

/** A few branch and tag names, to say what exists instead ("branches: main, dev; tags: v1.2.0, v1.1.0"). */
export function describeRefs(remote: RemoteRefs): string {
  const branches = [...remote.branches.keys()].sort();
  // Newest-looking tags first: v1.10.0 before v1.9.0.
  const tags = [...remote.tags.keys()].sort((a, b) => b.localeCompare(a, "en", { numeric: true }));
  if (branches.length === 0 && tags.length === 0) return "it has no branches or tags";
  return [
    branches.length > 0 ? `branches: ${someOf(branches)}` : "no branches",
    tags.length > 0 ? `tags: ${someOf(tags)}` : "no tags",
  ].join("; ");
}

function someOf(names: string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).join(", ");
  return names.length > NAMES_SHOWN ? `${shown} and ${names.length - NAMES_SHOWN} more` : shown;
}

/** The message for a ref that is no branch, tag or commit of the repository. */
export function unknownRefMessage(ref: string, repo: string, remote: RemoteRefs): string {
  return `${ref} is not a branch, tag or commit of ${repo} (${describeRefs(remote)})`;
}

/** The message for an abbreviation that starts several commits. */
export function ambiguousMessage(prefix: string, repo: string, commits: string[]): string {
  const listed = commits
    .slice(0, NAMES_SHOWN)
    .map((commit) => commit.slice(0, 12))
    .join(", ");
  const more = commits.length > NAMES_SHOWN ? ` and ${commits.length - NAMES_SHOWN} more` : "";
  return `commit ${prefix} is ambiguous in ${repo}: ${commits.length} commits start with it (${listed}${more}); give more digits`;
}
