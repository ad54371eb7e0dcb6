import { describe, expect, it } from "vitest";
import type { FetchedRef, RepoCache } from "../../src/git/repo-cache.js";
import { buildPlan } from "../../src/plan/plan.js";
import { prefetchRefs } from "../../src/run/execute.js";
import { RunRepos } from "../../src/run/run-repos.js";
import { manifestFixture, serviceFixture } from "./support/service-fixture.js";

const manifest = manifestFixture([
  serviceFixture({ name: "web", repo: "/srv/repos/web", dependsOn: ["api"] }),
  serviceFixture({ name: "api", repo: "/srv/repos/api" }),
  serviceFixture({ name: "cache", repo: undefined, image: { reference: "redis:7", pullPolicy: "missing" } }),
  serviceFixture({ name: "worker", repo: "/srv/repos/api", context: "worker" }),
  serviceFixture({ name: "admin", repo: "/srv/repos/admin", branch: "v2" }),
]);
const all = ["web", "api", "cache", "worker", "admin"];

/** A repository cache that records what it was asked to fetch and answers at once. */
function countingCache(): { cache: RepoCache; asked: string[] } {
  const asked: string[] = [];
  const cache = {
    fetch: async (repo: string, ref: string): Promise<FetchedRef> => {
      asked.push(`${repo}@${ref}`);
      return {
        kind: "branch",
        commit: "c".repeat(40),
        trees: new Map([
          [".", "t".repeat(40)],
          ["worker", "w".repeat(40)],
        ]),
      };
    },
  } as unknown as RepoCache;
  return { cache, asked };
}

describe("prefetchRefs", () => {
  it("starts the fetches of the targets the run starts first, in plan order, skipping image services", () => {
    const plan = buildPlan(manifest, all, undefined, "run-1", { redeploy: false });
    const { cache, asked } = countingCache();
    prefetchRefs(plan, new RunRepos(cache), 3);
    // Plan order puts api before web; the third target is the image service, which pulls instead.
    expect(plan.targets.slice(0, 3).map((target) => target.service.name)).toEqual(["api", "web", "cache"]);
    expect(asked).toEqual(["/srv/repos/api@main", "/srv/repos/web@main"]);
  });

  it("fetches a repository and ref once, whether a service asks before or after the prefetch", async () => {
    const plan = buildPlan(manifest, all, undefined, "run-1", { redeploy: false });
    const { cache, asked } = countingCache();
    const repos = new RunRepos(cache);
    prefetchRefs(plan, repos, 10);
    const worker = await repos.fetch("/srv/repos/api", "main", "worker", 1000);
    expect(worker.contextTree).toBe("w".repeat(40));
    expect(asked).toEqual(["/srv/repos/api@main", "/srv/repos/web@main", "/srv/repos/admin@v2"]);
  });

  it("fetches nothing for a rollback, which deploys a recorded image", () => {
    const plan = buildPlan(manifest, all, undefined, "run-1", { redeploy: false, rollbackTo: null });
    const { cache, asked } = countingCache();
    prefetchRefs(plan, new RunRepos(cache), 10);
    expect(asked).toEqual([]);
  });
});
