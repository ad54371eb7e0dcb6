import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import type { RefKind } from "./refs.js";

/** A fetched commit and the tree id of every folder in it ("." for the root). */
export interface FetchedCommit {
  commit: string;
  trees: ReadonlyMap<string, string>;
}

/**
 * Where the last fetch of a ref is recorded: inside the bare repository, beside the refs it describes. A branch's
 * and a tag's record are checked against the remote's head before use; a commit's never goes stale.
 */
function recordPath(dir: string, kind: RefKind, name: string): string {
  const folder = { branch: "deploy-branches", tag: "deploy-tags", commit: "deploy-commits" }[kind];
  return join(dir, folder, `${encodeURIComponent(name)}.json`);
}

export async function readRefRecord(dir: string, kind: RefKind, name: string): Promise<FetchedCommit | null> {
  try {
    const record = JSON.parse(await readFile(recordPath(dir, kind, name), "utf8"));
    if (typeof record.commit !== "string" || typeof record.trees !== "object") return null;
    return { commit: record.commit, trees: new Map(Object.entries(record.trees as Record<string, string>)) };
  } catch {
    return null; // none yet, or unreadable: fetch as if there were none
  }
}

/** Written only once the ref it describes is in place, so a record is always backed by the objects it names. */
export async function writeRefRecord(
  dir: string,
  kind: RefKind,
  name: string,
  fetched: FetchedCommit,
): Promise<void> {
  const path = recordPath(dir, kind, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(
    path,
    JSON.stringify({ commit: fetched.commit, trees: Object.fromEntries(fetched.trees) }),
    // Renamed into place, never half-written; a record lost to a crash only costs the next run a fetch, and
    // git does not sync the ref it describes either.
    { fsync: false },
  );
}

/** The remote's branch and tag heads when the whole history was last fetched (see RepoCache's lookups). */
function historyPath(dir: string): string {
  return join(dir, "deploy-history.json");
}

export async function readHistoryMark(dir: string): Promise<string | null> {
  return readFile(historyPath(dir), "utf8").catch(() => null);
}

export async function writeHistoryMark(dir: string, mark: string): Promise<void> {
  await writeFileAtomic(historyPath(dir), mark);
}
