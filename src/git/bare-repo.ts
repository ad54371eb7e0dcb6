import { gitEnv, networkConfig } from "./git-env.js";
import type { FetchedCommit } from "./ref-records.js";
import { commitsIn, parseLsRemote, type RemoteRefs } from "./refs.js";
import { fetchUrl } from "./repo-url.js";
import { runGit } from "./run-git.js";

/** Pure: `git ls-tree -r -d -z` output (`<mode> tree <id>\t<path>\0`…) as path → tree id, plus the root. */
export function parseTreeListing(listing: string, rootTree: string): Map<string, string> {
  const trees = new Map([[".", rootTree]]);
  for (const entry of listing.split("\0")) {
    const match = /^\d+ tree ([0-9a-f]+)\t(.+)$/.exec(entry);
    if (match?.[1] && match[2]) trees.set(match[2], match[1]);
  }
  return trees;
}

/**
 * The git commands the repository cache runs on one of its bare repositories and its remote, each bounded by
 * the run's interrupt and, when it talks to the remote, by `git_timeout`. Every value that reaches git comes
 * after `--end-of-options`, or is a commit id checked to be hex.
 */
export class BareRepo {
  readonly #url: string;

  constructor(
    readonly dir: string,
    repo: string,
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.#url = fetchUrl(repo);
  }

  /** The remote's branches and tags: one round trip, without any pack negotiation. */
  async remoteRefs(): Promise<RemoteRefs> {
    const output = await runGit(
      [...networkConfig(this.timeoutMs), "ls-remote", "--heads", "--tags", "--end-of-options", this.#url],
      this.#remote(),
    );
    return parseLsRemote(output);
  }

  /**
   * Fetches `refspecs`: `--depth=1`, or with `history` their whole history (deepening a shallow cache), pruning
   * what the remote deleted so that a branch `a/b` can replace a deleted `a`.
   */
  async fetch(refspecs: string[], options: { history?: boolean } = {}): Promise<void> {
    const shallow = options.history && (await this.#isShallow());
    const depth = options.history ? ["--prune", ...(shallow ? ["--unshallow"] : [])] : ["--depth=1"];
    await runGit(
      [
        "--git-dir",
        this.dir,
        ...networkConfig(this.timeoutMs),
        // The cache holds shallow single-ref fetches: background maintenance after each would only cost time.
        "-c",
        "maintenance.auto=false",
        "-c",
        "gc.auto=0",
        "fetch",
        ...depth,
        "--no-tags",
        "--force",
        "--end-of-options",
        this.#url,
        ...refspecs,
      ],
      this.#remote(),
    );
  }

  /** The commit `rev` names (a tag peeled) and the tree id of every folder in it. */
  async revision(rev: string): Promise<FetchedCommit> {
    // One git call for the commit and its root tree, one (at the same time) for every folder's tree: services
    // sharing the repository then find their build context's tree without a git process each.
    const [revisions, listing] = await Promise.all([
      this.#git(["log", "-1", "--no-show-signature", "--format=%H%n%T", "--end-of-options", rev]),
      this.#git(["ls-tree", "-r", "-d", "-z", "--end-of-options", rev]),
    ]);
    const [commit = "", root = ""] = revisions.trim().split("\n");
    return { commit, trees: parseTreeListing(listing, root) };
  }

  /** Whether the commit is in the cache already (fetched before under any ref). */
  async hasCommit(commit: string): Promise<boolean> {
    return this.#git(["cat-file", "-e", "--end-of-options", `${commit}^{commit}`]).then(
      () => true,
      () => false,
    );
  }

  /** Every commit in the cache whose id starts with `prefix` (hex, at least 4 digits: git's own minimum). */
  async commitsStartingWith(prefix: string): Promise<string[]> {
    // `--disambiguate` lists objects of every type; the batch check keeps the commits.
    const objects = await this.#git(["rev-parse", `--disambiguate=${prefix}`]);
    if (objects.trim() === "") return [];
    return commitsIn(await this.#git(["cat-file", "--batch-check"], objects));
  }

  /** Points `ref` at `commit`, so the commit stays named in the cache whatever fetched it. */
  async pin(ref: string, commit: string): Promise<void> {
    await this.#git(["update-ref", "--end-of-options", ref, commit]);
  }

  async #isShallow(): Promise<boolean> {
    return (await this.#git(["rev-parse", "--is-shallow-repository"])).trim() === "true";
  }

  #git(args: string[], input?: string): Promise<string> {
    return runGit(["--git-dir", this.dir, ...args], {
      env: gitEnv(process.env, this.timeoutMs),
      signal: this.signal,
      ...(input === undefined ? {} : { input }),
    });
  }

  #remote() {
    return { env: gitEnv(process.env, this.timeoutMs), signal: this.signal, timeoutMs: this.timeoutMs };
  }
}
