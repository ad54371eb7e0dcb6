import { PhaseError } from "../errors.js";
import type { FetchedRef, FetchedRevision, RepoCache, TreeArchive } from "../git/repo-cache.js";
import { redactUrl } from "../url-redact.js";

/**
 * The run's view of the repository cache: each (repository, ref) is fetched once per run however many
 * services share it.
 */
export class RunRepos {
  readonly #fetches = new Map<string, Promise<FetchedRef>>();

  constructor(
    private readonly cache: RepoCache,
    private readonly signal?: AbortSignal,
  ) {}

  /** `timeoutMs` bounds each git step (the first service to ask for a repository and ref sets it). */
  async fetch(repo: string, ref: string, context: string, timeoutMs: number): Promise<FetchedRevision> {
    const { commit, trees, kind } = await this.#fetch(repo, ref, timeoutMs);
    const contextTree = trees.get(context);
    if (!contextTree) {
      throw new PhaseError(
        "git",
        `context ${context} does not exist in ${redactUrl(repo)} at ${commit.slice(0, 12)}`,
      );
    }
    return { commit, contextTree, kind };
  }

  /**
   * Starts fetching `ref` of `repo` now, before a service asks for it: its `fetch` then finds the fetch under way
   * or done. A failure waits for that service, which reports it in its own phase.
   */
  prefetch(repo: string, ref: string, timeoutMs: number): void {
    this.#fetch(repo, ref, timeoutMs).catch(() => undefined);
  }

  #fetch(repo: string, ref: string, timeoutMs: number): Promise<FetchedRef> {
    const key = `${repo}\0${ref}`;
    let fetched = this.#fetches.get(key);
    if (!fetched) {
      fetched = this.cache.fetch(repo, ref, { signal: this.signal, timeoutMs });
      this.#fetches.set(key, fetched);
    }
    return fetched;
  }

  archive(repo: string, contextTree: string, signal?: AbortSignal): TreeArchive {
    return this.cache.archive(repo, contextTree, signal);
  }

  readFiles(repo: string, contextTree: string, paths: readonly string[]): Promise<Array<Buffer | null>> {
    return this.cache.readFiles(repo, contextTree, paths);
  }
}
