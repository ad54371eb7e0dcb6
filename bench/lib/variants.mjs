/**
 * A variant is one way of deploying the six fixture services that the bench times (the tool cold, bash jobs
 * with BuildKit, …). Each has its own project name and block of host ports: nothing of one can meet another's.
 */
import { ID } from "./context.mjs";
import { commit, restamp } from "./fixtures.mjs";

/** `kind` says what made the variant's containers (tool, bash or compose), so cleanup knows how to find them. */
export function variant(id, kind, port) {
  return { id, kind, port, project: `bench-${id.toLowerCase()}-${ID}` };
}

/** The six fixture services of `variant`: names, repos and host ports (a `depends_on` chain with `chain`). */
export function sixServices(repos, variant, { chain = false } = {}) {
  return repos.map((repo, i) => ({
    name: chain ? `link-${i + 1}` : `svc-${i + 1}`,
    repo,
    port: variant.port + i + 1,
    ...(chain && i > 0 ? { dependsOn: [`link-${i}`] } : {}),
  }));
}

/** A new stamp in every repo: the next build of each shares no layer with any earlier build. */
export async function stampAll(repos, stamp) {
  await Promise.all(repos.map((repo) => restamp(repo, stamp)));
}

/** The file a new release changes: it comes in with `COPY www/`, so the steps before that one stay cached. */
export const RELEASE_FILE = "www/release";

/** The everyday new commit: only the site's content changes, in every repo. */
export async function releaseAll(repos, release) {
  await Promise.all(
    repos.map((repo, i) => commit(repo, { [RELEASE_FILE]: `${release} ${i + 1}\n` }, release)),
  );
}
