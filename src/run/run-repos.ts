import type { FetchedRevision, RepoCache } from "../git/repo-cache.js";

/**
 * The run's view of the repository cache: each (repository, branch) is fetched once per run however many
 * services share it, and each context tree is exported once.
 */
export class RunRepos {
  readonly #fetches = new Map<string, Promise<{ commit: string }>>();

  constructor(
    private readonly cache: RepoCache,
    private readonly signal?: AbortSignal,
  ) {}

  async fetch(repo: string, branch: string, context: string): Promise<FetchedRevision> {
    const key = `${repo}\0${branch}`;
    let fetched = this.#fetches.get(key);
    if (!fetched) {
      fetched = this.cache.fetch(repo, branch, this.signal);
      this.#fetches.set(key, fetched);
    }
    const { commit } = await fetched;
    return { commit, contextTree: await this.cache.contextTree(repo, commit, context) };
  }

  exportTree(repo: string, contextTree: string): Promise<string> {
    return this.cache.exportTree(repo, contextTree);
  }
}
