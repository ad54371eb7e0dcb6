import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PhaseError } from "../../src/errors.js";
import { RepoCache } from "../../src/git/repo-cache.js";
import { freePort } from "./support/docker.js";
import { git, inFolder, makeRepo, type Repo } from "./support/git-fixture.js";
import { type SilentServer, silentServer } from "./support/silent-server.js";

/** The record RepoCache keeps of a branch's last fetch (one file per branch inside the bare repository). */
async function recordFile(cacheRoot: string, branch: string): Promise<string> {
  const [repoDir] = await readdir(join(cacheRoot, "repos"));
  return join(cacheRoot, "repos", repoDir ?? "", "deploy-branches", `${branch}.json`);
}

/** Stands for the fixture repository, made only in beforeAll. */
const FIXTURE_REPO = "(the fixture repository)";

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

  it.each([
    ["--upload-pac=x@y:;touch marker;", "main"],
    [FIXTURE_REPO, "--output=marker"],
  ])("refuses a repo or branch git would read as an option (%s %s), running nothing", async (url, branch) => {
    const error = await new RepoCache(cacheRoot)
      .fetch(url === FIXTURE_REPO ? repo.dir : url, branch)
      .catch((e: unknown) => e);
    expect((error as PhaseError).phase).toBe("git");
    expect((error as PhaseError).message).toMatch(/^refusing branch .*must not start with "-"/);
    expect(await readdir(cacheRoot, { recursive: true })).not.toContainEqual(
      expect.stringMatching(/marker$/),
    );
  });

  it("never puts a repo URL's user info in its errors", async () => {
    const port = await freePort(); // nothing listens: the connection is refused
    const error = await new RepoCache(cacheRoot)
      .fetch(`https://x-access-token:SECRET-TOKEN@127.0.0.1:${port}/acme/api.git`, "main")
      .catch((e: unknown) => e);
    expect((error as PhaseError).phase).toBe("git");
    expect((error as PhaseError).message).toContain(
      `of https://[REDACTED]@127.0.0.1:${port}/acme/api.git failed`,
    );
    expect((error as PhaseError).message).not.toContain("SECRET-TOKEN");
  });

  it("runs the caller's GIT_SSH_COMMAND with its own options added, and keeps ssh's reason", async () => {
    // A stand-in for ssh that records how it was called and refuses like a server without the key.
    const calls = join(cacheRoot, "ssh-calls.txt");
    const fakeSsh = join(cacheRoot, "fake-ssh.sh");
    await writeFile(
      fakeSsh,
      `#!/bin/sh\necho "$*" >> '${calls}'\necho 'git@127.0.0.1: Permission denied (publickey).' >&2\nexit 255\n`,
    );
    await chmod(fakeSsh, 0o755);
    const saved = process.env.GIT_SSH_COMMAND;
    process.env.GIT_SSH_COMMAND = `${fakeSsh} -i /keys/deploy`;
    try {
      const error = await new RepoCache(cacheRoot)
        .fetch("git@127.0.0.1:acme/api.git", "main", { timeoutMs: 20_000 })
        .catch((e: unknown) => e);
      expect((error as PhaseError).phase).toBe("git");
      // The cause, not only git's generic advice that follows it.
      expect((error as PhaseError).message).toContain("Permission denied (publickey)");
    } finally {
      if (saved === undefined) delete process.env.GIT_SSH_COMMAND;
      else process.env.GIT_SSH_COMMAND = saved;
    }
    const called = await readFile(calls, "utf8");
    expect(called).toMatch(
      /^-i \/keys\/deploy -o BatchMode=yes -o ConnectTimeout=20 -o ServerAliveInterval=15 /,
    );
    expect(called).toContain("git@127.0.0.1");
  });

  describe("against a server that accepts and never answers", () => {
    let server: SilentServer;
    beforeAll(async () => {
      server = await silentServer();
    });
    afterAll(() => server.close());

    it.each([
      ["git", (port: number) => `git://127.0.0.1:${port}/acme/api.git`],
      ["http", (port: number) => `http://deploy:SECRET-TOKEN@127.0.0.1:${port}/acme/api.git`],
    ])("gives up a %s fetch at git_timeout, naming the URL and the deadline", async (_scheme, url) => {
      const started = Date.now();
      const error = await new RepoCache(cacheRoot)
        .fetch(url(server.port), "main", { timeoutMs: 1_500 })
        .catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(error).toBeInstanceOf(PhaseError);
      expect((error as PhaseError).phase).toBe("git");
      expect((error as PhaseError).message).toBe(
        `fetching branch main of ${url(server.port).replace("deploy:SECRET-TOKEN", "[REDACTED]")} failed: ` +
          "no answer within 1.5s (git_timeout)",
      );
    });
  });
});
