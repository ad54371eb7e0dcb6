import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import lockfile from "proper-lockfile";
import { extract } from "tar-fs";
import writeFileAtomic from "write-file-atomic";
import { makePrivateDir } from "../cache-home.js";
import { errorMessage, PhaseError } from "../errors.js";
import { DEFAULTS } from "../manifest/fields.js";
import { refProblem, repoProblem } from "../manifest/git-values.js";
import { durationMs } from "../manifest/values.js";
import { redactUrl } from "../url-redact.js";
import { gitEnv, networkConfig } from "./git-env.js";
import { fetchUrl } from "./repo-url.js";
import { runGit } from "./run-git.js";

export interface FetchedRevision {
  commit: string;
  /** Id of the git tree at the build context: equal ids mean an identical context, whatever the commit. */
  contextTree: string;
}

/** A fetched branch: its commit and the tree id of every folder in it ("." for the root). */
export interface FetchedBranch {
  commit: string;
  trees: ReadonlyMap<string, string>;
}

/** Pure: `git ls-tree -r -d -z` output (`<mode> tree <id>\t<path>\0`…) as path → tree id, plus the root. */
export function parseTreeListing(listing: string, rootTree: string): Map<string, string> {
  const trees = new Map([[".", rootTree]]);
  for (const entry of listing.split("\0")) {
    const match = /^\d+ tree ([0-9a-f]+)\t(.+)$/.exec(entry);
    if (match?.[1] && match[2]) trees.set(match[2], match[1]);
  }
  return trees;
}

/** How each call is bounded: the run's interrupt, and `git_timeout` for a step that talks to the remote. */
export interface FetchOptions {
  signal?: AbortSignal | undefined;
  /** Default: `git_timeout`'s default. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = durationMs(DEFAULTS.gitTimeout);

/**
 * A cache of bare repositories, one per repo URL, outside any work tree. Fetches are shallow. Two deploys of
 * services sharing a repository (in this process or in two processes) never run git on it at once: an
 * in-process queue plus a lock file per repository, because git fails on a concurrent `index.lock`/`shallow.lock`.
 */
export class RepoCache {
  readonly #queues = new Map<string, Promise<unknown>>();
  #private: Promise<void> | undefined;

  constructor(readonly root: string) {}

  /**
   * The commit `branch` of `repo` points at, shallow-fetched into the cache, with every folder's tree id. Once
   * the cache has fetched the branch, the next call first asks only for its head (`git ls-remote`, one round
   * trip without any pack negotiation): when it has not moved, the folder trees recorded then are reused, so a
   * no-op deploy costs one git process per repository.
   */
  async fetch(repo: string, branch: string, options: FetchOptions = {}): Promise<FetchedBranch> {
    const { signal, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
    const shown = redactUrl(repo);
    // The manifest and the CLI refuse these already; this keeps every other caller to the same rules.
    const refused = repoProblem(repo) ?? refProblem(branch);
    if (refused)
      throw new PhaseError("git", `refusing branch ${JSON.stringify(branch)} of ${shown}: ${refused}`);
    this.#private ??= makePrivateDir(this.root);
    await this.#private;
    const dir = this.#repoDir(repo);
    const fail = (what: string, error: unknown): never => {
      signal?.throwIfAborted();
      throw new PhaseError("git", `${what} branch ${branch} of ${shown} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    };
    // Reading needs no lock: ls-remote writes nothing here, and a record is replaced atomically, only once
    // the ref it describes is in place. Nothing recorded (a new cache, a new branch): the fetch says all that
    // ls-remote would.
    signal?.throwIfAborted();
    const known = await readBranchRecord(dir, branch);
    if (known) {
      const head = await remoteHead(repo, branch, timeoutMs, signal).catch((error: unknown) =>
        fail("reading", error),
      );
      if (!head) throw new PhaseError("git", `branch ${branch} does not exist in ${shown}`);
      if (head === known.commit) return known;
    }
    return this.#exclusive(dir, async () => {
      signal?.throwIfAborted();
      await this.#ensureBareRepo(dir);
      const ref = `refs/deploy/heads/${branch}`;
      await runGit(
        [
          "--git-dir",
          dir,
          ...networkConfig(timeoutMs),
          // The cache holds shallow single-branch fetches: background maintenance after each would only cost time.
          "-c",
          "maintenance.auto=false",
          "-c",
          "gc.auto=0",
          "fetch",
          "--depth=1",
          "--no-tags",
          "--force",
          "--end-of-options",
          fetchUrl(repo),
          `+refs/heads/${branch}:${ref}`,
        ],
        { env: gitEnv(process.env, timeoutMs), signal, timeoutMs },
      ).catch((error: unknown) => fail("fetching", error));
      // One git call for the commit and its root tree, one (at the same time) for every folder's tree: services
      // sharing the repository then find their build context's tree without a git process each.
      const local = { env: gitEnv(process.env, timeoutMs), signal };
      const [revisions, listing] = await Promise.all([
        runGit(
          ["--git-dir", dir, "log", "-1", "--no-show-signature", "--format=%H%n%T", "--end-of-options", ref],
          local,
        ),
        runGit(["--git-dir", dir, "ls-tree", "-r", "-d", "-z", "--end-of-options", ref], local),
      ]);
      const [commit = "", root = ""] = revisions.trim().split("\n");
      const fetched = { commit, trees: parseTreeListing(listing, root) };
      // Written only now that the ref points at this commit (so its objects are in the cache): a record that
      // names the remote's head is always backed by a fetch, and one left by a crash names an older commit.
      await writeBranchRecord(dir, branch, fetched);
      return fetched;
    });
  }

  /**
   * The build context as a folder on disk, keyed by its tree id so identical contexts are exported once and
   * never rewritten (a folder is written under a temporary name, then renamed into place).
   */
  async exportTree(repo: string, contextTree: string): Promise<string> {
    const target = join(this.root, "trees", contextTree);
    if (await exists(target)) return target;
    const partial = `${target}.partial-${process.pid}-${Math.random().toString(36).slice(2)}`;
    await mkdir(partial, { recursive: true });
    try {
      await archiveInto(this.#repoDir(repo), contextTree, partial);
      await rename(partial, target).catch(async (error: NodeJS.ErrnoException) => {
        // Another deploy exported the same tree first: theirs is identical.
        if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
        await rm(partial, { recursive: true, force: true });
      });
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw new PhaseError(
        "git",
        `exporting tree ${contextTree} of ${redactUrl(repo)} failed: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    return target;
  }

  #repoDir(repo: string): string {
    const id = createHash("sha256").update(fetchUrl(repo)).digest("hex").slice(0, 20);
    return join(this.root, "repos", `${id}.git`);
  }

  async #ensureBareRepo(dir: string): Promise<void> {
    if (await exists(join(dir, "HEAD"))) return;
    await mkdir(dir, { recursive: true });
    await runGit(["init", "--bare", "--quiet", "--end-of-options", dir], {
      env: gitEnv(process.env, DEFAULT_TIMEOUT_MS),
    });
  }

  /** Runs `work` alone on `dir`: queued behind this process's earlier work, then under a cross-process lock. */
  async #exclusive<T>(dir: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(dir) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.#locked(dir, work));
    this.#queues.set(dir, run);
    return run;
  }

  async #locked<T>(dir: string, work: () => Promise<T>): Promise<T> {
    await mkdir(dir, { recursive: true });
    const release = await lockfile.lock(dir, {
      lockfilePath: `${dir}.lock`,
      stale: 60_000,
      retries: { retries: 600, factor: 1, minTimeout: 200, maxTimeout: 200 },
    });
    try {
      return await work();
    } finally {
      await release().catch(() => undefined);
    }
  }
}

/** `git archive <tree>` streamed straight into a folder: no work tree, no checkout lock. */
function archiveInto(gitDir: string, tree: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["--git-dir", gitDir, "archive", "--format=tar", "--end-of-options", tree], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const unpack = extract(dest);
    child.stdout.pipe(unpack);
    let exitCode: number | null = null;
    let unpacked = false;
    const settle = () => {
      if (exitCode === null || !unpacked) return;
      if (exitCode === 0) resolve();
      else reject(new Error(stderr.trim() || `git archive exited ${exitCode}`));
    };
    child.on("error", reject);
    unpack.on("error", reject);
    unpack.on("finish", () => {
      unpacked = true;
      settle();
    });
    child.on("close", (code) => {
      exitCode = code ?? 1;
      if (exitCode !== 0) reject(new Error(redactUrl(stderr.trim()) || `git archive exited ${exitCode}`));
      settle();
    });
  });
}

/** The commit `branch` of `repo` points at now (null when the branch does not exist), from `git ls-remote`. */
async function remoteHead(
  repo: string,
  branch: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  const output = await runGit(
    [...networkConfig(timeoutMs), "ls-remote", "--end-of-options", fetchUrl(repo), `refs/heads/${branch}`],
    { env: gitEnv(process.env, timeoutMs), signal, timeoutMs },
  );
  for (const line of output.split("\n")) {
    const [commit, name] = line.split("\t");
    if (commit && name === `refs/heads/${branch}`) return commit;
  }
  return null;
}

/** Where the last fetch of `branch` is recorded: inside the bare repository, beside the refs it describes. */
function branchRecordPath(dir: string, branch: string): string {
  return join(dir, "deploy-branches", `${encodeURIComponent(branch)}.json`);
}

async function readBranchRecord(dir: string, branch: string): Promise<FetchedBranch | null> {
  try {
    const record = JSON.parse(await readFile(branchRecordPath(dir, branch), "utf8"));
    if (typeof record.commit !== "string" || typeof record.trees !== "object") return null;
    return { commit: record.commit, trees: new Map(Object.entries(record.trees as Record<string, string>)) };
  } catch {
    return null; // none yet, or unreadable: fetch as if there were none
  }
}

async function writeBranchRecord(dir: string, branch: string, fetched: FetchedBranch): Promise<void> {
  const path = branchRecordPath(dir, branch);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(
    path,
    JSON.stringify({ commit: fetched.commit, trees: Object.fromEntries(fetched.trees) }),
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
