import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PhaseError } from "../../src/errors.js";
import { RepoCache } from "../../src/git/repo-cache.js";
import { git, inFolder, makeRepo, type Repo } from "./support/git-fixture.js";

/** The record RepoCache keeps of a branch's last fetch (one file per branch inside the bare repository). */
async function recordFile(cacheRoot: string, branch: string): Promise<string> {
  const [repoDir] = await readdir(join(cacheRoot, "repos"));
  return join(cacheRoot, "repos", repoDir ?? "", "deploy-branches", `${branch}.json`);
}

describe("the repository cache", () => {
  let repo: Repo;
  let cacheRoot: string;

  beforeAll(async () => {
    repo = await makeRepo({ ...inFolder("api", { "index.txt": "api v1" }), README: "monorepo" });
    cacheRoot = await mkdtemp(join(tmpdir(), "deploy-e2e-cache-"));
  });
  afterAll(async () => {
    await repo.remove();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  it("fetches a branch: its commit and the tree of every folder", async () => {
    const fetched = await new RepoCache(cacheRoot).fetch(repo.dir, "main");
    expect(fetched.commit).toBe(await repo.head());
    expect([...fetched.trees.keys()].sort()).toEqual([".", "api"]);
    const exported = await new RepoCache(cacheRoot).exportTree(repo.dir, fetched.trees.get("api") ?? "");
    expect(await readFile(join(exported, "index.txt"), "utf8")).toBe("api v1");
  });

  it("reuses what it recorded while the branch has not moved, and fetches again once it has", async () => {
    // A planted tree id shows whether the record was used: a fetch would list the real trees again.
    const file = await recordFile(cacheRoot, "main");
    const record = JSON.parse(await readFile(file, "utf8"));
    await writeFile(file, JSON.stringify({ ...record, trees: { ...record.trees, api: "planted" } }));
    const unmoved = await new RepoCache(cacheRoot).fetch(repo.dir, "main");
    expect(unmoved.trees.get("api")).toBe("planted");

    const next = await repo.commit(inFolder("api", { "index.txt": "api v2" }));
    const moved = await new RepoCache(cacheRoot).fetch(repo.dir, "main");
    expect(moved.commit).toBe(next);
    expect(moved.trees.get("api")).not.toBe("planted");
    expect(JSON.parse(await readFile(file, "utf8")).commit).toBe(next);
  });

  it("fails in phase git, naming a branch that does not exist (never fetched, or deleted since)", async () => {
    const never = await new RepoCache(cacheRoot).fetch(repo.dir, "nope").catch((e: unknown) => e);
    expect(never).toBeInstanceOf(PhaseError);
    expect((never as PhaseError).phase).toBe("git");
    expect((never as PhaseError).message).toMatch(/fetching branch nope of .* failed: .*nope/);

    await repo.branch("short-lived", { "note.txt": "soon gone" });
    await new RepoCache(cacheRoot).fetch(repo.dir, "short-lived");
    await git(repo.dir, "branch", "-D", "short-lived");
    const deleted = await new RepoCache(cacheRoot).fetch(repo.dir, "short-lived").catch((e: unknown) => e);
    expect((deleted as PhaseError).phase).toBe("git");
    expect((deleted as PhaseError).message).toContain("branch short-lived does not exist");
  });

  it("fails in phase git with git's message when the repository cannot be read", async () => {
    const error = await new RepoCache(cacheRoot)
      .fetch(join(cacheRoot, "no-such-repo"), "main")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhaseError);
    expect((error as PhaseError).message).toMatch(/fetching branch main of .*no-such-repo failed: .+/);
  });

  it("fails with git's message when a repository it fetched before has gone", async () => {
    const gone = await makeRepo({ README: "soon gone" });
    await new RepoCache(cacheRoot).fetch(gone.dir, "main");
    await gone.remove();
    const error = await new RepoCache(cacheRoot).fetch(gone.dir, "main").catch((e: unknown) => e);
    expect((error as PhaseError).phase).toBe("git");
    expect((error as PhaseError).message).toMatch(/reading branch main of .* failed: .+/);
  });
});
