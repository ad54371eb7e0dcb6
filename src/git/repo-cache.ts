import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import lockfile from "proper-lockfile";
import { makePrivateDir } from "../cache-home.js";
import { errorMessage, PhaseError } from "../errors.js";
import { DEFAULTS } from "../manifest/fields.js";
import { refProblem, repoProblem } from "../manifest/git-values.js";
import { durationMs } from "../manifest/values.js";
import { redactUrl } from "../url-redact.js";
import { BareRepo } from "./bare-repo.js";
import { gitEnv } from "./git-env.js";
import {
  type FetchedCommit,
  readHistoryMark,
  readRefRecord,
  writeHistoryMark,
  writeRefRecord,
} from "./ref-records.js";
import {
  ambiguousMessage,
  classifyRef,
  isFullCommitId,
  type RefKind,
  type RemoteRefs,
  unknownRefMessage,
} from "./refs.js";
import { fetchUrl } from "./repo-url.js";
import { GitCommandError, runGit, runGitForBytes } from "./run-git.js";

export interface FetchedRevision {
  commit: string;
  /** Id of the git tree at the build context: equal ids mean an identical context, whatever the commit. */
  contextTree: string;
  kind: RefKind;
}

/** A fetched ref: what it turned out to be, its commit and the tree id of every folder in it. */
export interface FetchedRef extends FetchedCommit {
  kind: RefKind;
}

/** A tree's tar as git writes it, and whether git succeeded (known once it exits). */
export interface TreeArchive {
  tar: Readable;
  done: Promise<void>;
}

/** How each call is bounded: the run's interrupt, and `git_timeout` for a step that talks to the remote. */
export interface FetchOptions {
  signal?: AbortSignal | undefined;
  /** Default: `git_timeout`'s default. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = durationMs(DEFAULTS.gitTimeout);

/**
 * A cache of bare repositories, one per repo URL, outside any work tree. A branch, a tag or a commit is fetched
 * shallow; only an abbreviated commit id (or a server that refuses a commit by id) needs history. Two deploys of
 * services sharing a repository (in this process or in two processes) never run git on it at once: an
 * in-process queue plus a lock file per repository, because git fails on a concurrent `index.lock`/`shallow.lock`.
 */
export class RepoCache {
  readonly #queues = new Map<string, Promise<unknown>>();
  #private: Promise<void> | undefined;

  constructor(readonly root: string) {}

  /**
   * The commit `ref` of `repo` names — a branch, a tag, or a commit id (full or abbreviated) — fetched into the
   * cache, with every folder's tree id. A branch or tag is asked for first with `git ls-remote` (one round trip
   * without any pack negotiation, which also tells a branch from a tag): when its head has not moved since the
   * cache fetched it, the folder trees recorded then are reused, so a no-op deploy costs one git process per
   * repository. A full commit id never moves: once fetched, it costs no git process at all.
   */
  async fetch(repo: string, ref: string, options: FetchOptions = {}): Promise<FetchedRef> {
    const { signal, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
    const shown = redactUrl(repo);
    // The manifest and the CLI refuse these already; this keeps every other caller to the same rules.
    const refused = repoProblem(repo) ?? refProblem(ref);
    if (refused) throw new PhaseError("git", `refusing ref ${JSON.stringify(ref)} of ${shown}: ${refused}`);
    this.#private ??= makePrivateDir(this.root).then(() => removeLeftovers(this.root));
    await this.#private;
    const git = new BareRepo(this.#repoDir(repo), repo, timeoutMs, signal);
    const fetching = new Fetching(git, ref, shown, signal);
    signal?.throwIfAborted();
    if (isFullCommitId(ref)) return this.#commit(fetching, ref.toLowerCase());
    const remote = await fetching.remoteRefs();
    const target = classifyRef(ref, remote);
    switch (target.kind) {
      case "branch":
      case "tag":
        return this.#head(fetching, target.kind, target.name, target.commit);
      case "commit":
        return this.#commit(fetching, target.commit, remote);
      case "abbreviation":
        return this.#abbreviated(fetching, target.prefix, remote);
      case "unknown":
        throw new PhaseError("git", unknownRefMessage(ref, shown, remote));
    }
  }

  /** A branch or tag whose head is `head` now: the record of its last fetch while it has not moved. */
  async #head(fetching: Fetching, kind: "branch" | "tag", name: string, head: string): Promise<FetchedRef> {
    const { git } = fetching;
    // Reading needs no lock: a record is replaced atomically, only once the ref it describes is in place.
    const known = await readRefRecord(git.dir, kind, name);
    if (known?.commit === head) return { kind, ...known };
    return this.#exclusive(git.dir, async () => {
      await fetching.ready();
      const [remote, local] =
        kind === "branch"
          ? [`refs/heads/${name}`, `refs/deploy/heads/${name}`]
          : [`refs/tags/${name}`, `refs/deploy/tags/${name}`];
      await git
        .fetch([`+${remote}:${local}`])
        .catch((error: unknown) => fetching.fail(`fetching ${kind} ${name} of`, error));
      const fetched = await git
        .revision(local)
        .catch((error: unknown) => fetching.fail(`reading ${kind} ${name} of`, error));
      // Written only now that the ref points at this commit (so its objects are in the cache): a record that
      // names the remote's head is always backed by a fetch, and one left by a crash names an older commit.
      await writeRefRecord(git.dir, kind, name, fetched);
      return { kind, ...fetched };
    });
  }

  /**
   * A full commit id: fetched by id (servers allow it with protocol v2, and GitHub and GitLab do), else looked up
   * in the whole history of the remote's branches and tags. `remote` when it has been listed already.
   */
  async #commit(fetching: Fetching, commit: string, remote?: RemoteRefs): Promise<FetchedRef> {
    const { git } = fetching;
    const known = await readRefRecord(git.dir, "commit", commit);
    if (known) return { kind: "commit", ...known };
    return this.#exclusive(git.dir, async () => {
      await fetching.ready();
      const local = `refs/deploy/commits/${commit}`;
      if (!(await git.hasCommit(commit))) {
        const fetched = await git.fetch([`+${commit}:${local}`]).then(
          () => true,
          (error: unknown) => {
            // A server that refuses a commit id (or has none such) answers with a git error; silence is not that.
            if (!(error instanceof GitCommandError)) fetching.fail(`fetching commit ${commit} of`, error);
            return false;
          },
        );
        if (!fetched || !(await git.hasCommit(commit))) {
          const refs = remote ?? (await fetching.remoteRefs());
          await this.#fetchHistory(fetching, refs, { force: true });
          if (!(await git.hasCommit(commit))) throw new PhaseError("git", fetching.unknown(refs));
        }
      }
      return this.#pinned(fetching, commit);
    });
  }

  /** An abbreviated commit id: looked up in the whole history of the remote's branches and tags. */
  async #abbreviated(fetching: Fetching, prefix: string, remote: RemoteRefs): Promise<FetchedRef> {
    const { git } = fetching;
    return this.#exclusive(git.dir, async () => {
      await fetching.ready();
      const fetchedNow = await this.#fetchHistory(fetching, remote);
      let commits = await git.commitsStartingWith(prefix);
      // The history fetched earlier may miss a commit pushed since under a head that moved back: fetch, retry.
      if (commits.length === 0 && !fetchedNow) {
        await this.#fetchHistory(fetching, remote, { force: true });
        commits = await git.commitsStartingWith(prefix);
      }
      const [commit, ...others] = commits;
      if (commit === undefined) throw new PhaseError("git", fetching.unknown(remote));
      if (others.length > 0) throw new PhaseError("git", ambiguousMessage(prefix, fetching.shown, commits));
      const known = await readRefRecord(git.dir, "commit", commit);
      if (known) return { kind: "commit" as const, ...known };
      return this.#pinned(fetching, commit);
    });
  }

  /**
   * Fetches the whole history of the remote's branches and tags, unless it was fetched while they stood where
   * they stand now (`remote`). Resolves to whether it fetched.
   */
  async #fetchHistory(
    fetching: Fetching,
    remote: RemoteRefs,
    options: { force?: boolean } = {},
  ): Promise<boolean> {
    const { git } = fetching;
    const mark = headsMark(remote);
    if (!options.force && (await readHistoryMark(git.dir)) === mark) return false;
    await git
      .fetch(["+refs/heads/*:refs/deploy/all/heads/*", "+refs/tags/*:refs/deploy/all/tags/*"], {
        history: true,
      })
      .catch((error: unknown) => fetching.fail(`fetching the history of`, error));
    await writeHistoryMark(git.dir, mark);
    return true;
  }

  /** A commit in the cache: pinned under a ref of its own, its trees listed and recorded for good. */
  async #pinned(fetching: Fetching, commit: string): Promise<FetchedRef> {
    const { git } = fetching;
    const fetched = await git
      .pin(`refs/deploy/commits/${commit}`, commit)
      .then(() => git.revision(commit))
      .catch((error: unknown) => fetching.fail(`reading commit ${commit} of`, error));
    await writeRefRecord(git.dir, "commit", commit, fetched);
    return { kind: "commit", ...fetched };
  }

  /**
   * `git archive` of `tree`: its tar as git writes it, straight from the bare repository (no checkout, nothing
   * on disk), and `done`, which rejects in phase git when git fails: a tar cut short is told from a whole one.
   */
  archive(repo: string, tree: string, signal?: AbortSignal): TreeArchive {
    return archiveOf(this.#repoDir(repo), tree, redactUrl(repo), signal);
  }

  /**
   * The files at `paths` in `tree` (null where it has none), all read by one `git cat-file --batch`: a build
   * context's `.dockerignore` and Dockerfile, wanted before its archive is streamed.
   */
  async readFiles(repo: string, tree: string, paths: readonly string[]): Promise<Array<Buffer | null>> {
    // A tree id has a commit id's form; a path must stay one line of cat-file's input.
    if (!isFullCommitId(tree) || paths.some((path) => /[\n\r]/.test(path))) {
      throw new PhaseError("git", `refusing to read ${JSON.stringify(paths)} of tree ${tree}`);
    }
    const output = await runGitForBytes(["--git-dir", this.#repoDir(repo), "cat-file", "--batch"], {
      env: gitEnv(process.env, DEFAULT_TIMEOUT_MS),
      input: paths.map((path) => `${tree}:${path}\n`).join(""),
    }).catch((error: unknown) => {
      throw new PhaseError(
        "git",
        `reading ${paths.join(", ")} of tree ${tree} in ${redactUrl(repo)} failed: ${errorMessage(error)}`,
        { cause: error },
      );
    });
    return parseCatFileBatch(output);
  }

  #repoDir(repo: string): string {
    const id = createHash("sha256").update(fetchUrl(repo)).digest("hex").slice(0, 20);
    return join(this.root, "repos", `${id}.git`);
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

/** `git archive` of `tree` in `gitDir` as a stream; see RepoCache.archive. */
function archiveOf(gitDir: string, tree: string, shown: string, signal?: AbortSignal): TreeArchive {
  // Files 0644 and folders 0755 as a checkout with the usual umask has them (git's own default is 0664/0775).
  const child = spawn(
    "git",
    ["--git-dir", gitDir, "-c", "tar.umask=0022", "archive", "--format=tar", "--end-of-options", tree],
    { stdio: ["ignore", "pipe", "pipe"], ...(signal ? { signal } : {}) },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    const failed = (why: string) =>
      reject(new PhaseError("git", `archiving tree ${tree} of ${shown} failed: ${redactUrl(why)}`));
    child.on("error", (error) => failed(error.message));
    child.on("close", (code) => (code === 0 ? resolve() : failed(stderr.trim() || `git exited ${code}`)));
  });
  return { tar: child.stdout, done };
}

/**
 * Pure: `git cat-file --batch` output (`<oid> <type> <size>\n<content>\n`, or `<name> missing\n`) as each
 * asked object's content, in order; null for a missing object or one that is not a file.
 */
export function parseCatFileBatch(output: Buffer): Array<Buffer | null> {
  const objects: Array<Buffer | null> = [];
  let at = 0;
  while (at < output.length) {
    const end = output.indexOf(10, at);
    if (end < 0) break;
    const [, type, size] = output.subarray(at, end).toString().split(" ");
    at = end + 1;
    const length = Number(size);
    if (type === undefined || size === undefined || !Number.isInteger(length)) {
      objects.push(null); // "<name> missing" (or ambiguous): no content follows
      continue;
    }
    objects.push(type === "blob" ? output.subarray(at, at + length) : null);
    at += length + 1;
  }
  return objects;
}

/** What one `fetch` call works on, and how its failures read. */
class Fetching {
  constructor(
    readonly git: BareRepo,
    readonly ref: string,
    readonly shown: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** The bare repository exists (made on the first fetch of its remote). */
  async ready(): Promise<void> {
    this.signal?.throwIfAborted();
    await ensureBareRepo(this.git.dir);
  }

  /** "<what> <repo> failed: <git's reason>", in phase git; an interrupt stays an interrupt. */
  fail(what: string, error: unknown): never {
    this.signal?.throwIfAborted();
    throw new PhaseError("git", `${what} ${this.shown} failed: ${errorMessage(error)}`, { cause: error });
  }

  /** The remote's branches and tags (`git ls-remote`). */
  remoteRefs(): Promise<RemoteRefs> {
    return this.git.remoteRefs().catch((error: unknown) => this.fail(`looking up ${this.ref} in`, error));
  }

  unknown(remote: RemoteRefs): string {
    return unknownRefMessage(this.ref, this.shown, remote);
  }
}

async function ensureBareRepo(dir: string): Promise<void> {
  if (await exists(join(dir, "HEAD"))) return;
  await mkdir(dir, { recursive: true });
  await runGit(["init", "--bare", "--quiet", "--end-of-options", dir], {
    env: gitEnv(process.env, DEFAULT_TIMEOUT_MS),
  });
}

/**
 * Removes, in the background, what earlier versions kept in the cache and nothing reads any more: context trees
 * exported to disk (a folder per deployed tree, never pruned) and the removed launcher's code cache.
 */
function removeLeftovers(root: string): void {
  for (const folder of ["trees", "code-cache"]) {
    rm(join(root, folder), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Identifies where the remote's branches and tags stand: equal marks, nothing new to fetch. */
function headsMark(remote: RemoteRefs): string {
  const heads = [...remote.branches].map(([name, commit]) => `b ${name} ${commit}`);
  const tags = [...remote.tags].map(([name, commit]) => `t ${name} ${commit}`);
  return createHash("sha256")
    .update([...heads, ...tags].sort().join("\n"))
    .digest("hex");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
