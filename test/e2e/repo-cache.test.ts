import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
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

/** The record RepoCache keeps of a tag's or a commit's last fetch. */
async function refRecordFile(cacheRoot: string, kind: "tag" | "commit", name: string): Promise<string> {
  const [repoDir] = await readdir(join(cacheRoot, "repos"));
  return join(cacheRoot, "repos", repoDir ?? "", `deploy-${kind}s`, `${name}.json`);
}

/** Replaces the `api` folder's tree id in a record: a result holding "planted" came from the record, not git. */
async function plant(file: string): Promise<void> {
  const record = JSON.parse(await readFile(file, "utf8"));
  await writeFile(file, JSON.stringify({ ...record, trees: { ...record.trees, api: "planted" } }));
}

/** The refs of the cache's one bare repository. */
async function cachedRefs(cacheRoot: string): Promise<string> {
  const [repoDir] = await readdir(join(cacheRoot, "repos"));
  return git(join(cacheRoot, "repos", repoDir ?? ""), "for-each-ref", "--format=%(refname)");
}

/**
 * Adds `count` empty commits on branch `many` with fixed dates (so the same ids every run), in one
 * `git fast-import`, and returns their ids: enough for two of them to share their first four hex digits.
 */
async function manyCommits(dir: string, count: number): Promise<string[]> {
  const stream = Array.from(
    { length: count },
    (_, i) =>
      `commit refs/heads/many\ncommitter E2E <e2e@example.invalid> ${1_700_000_000 + i} +0000\ndata <<END\nc${i}\nEND\n\n`,
  ).join("");
  execFileSync("git", ["-C", dir, "fast-import", "--quiet"], { input: stream });
  return (await git(dir, "rev-list", "refs/heads/many")).split("\n");
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
    const [file, missing] = await new RepoCache(cacheRoot).readFiles(
      repo.dir,
      fetched.trees.get("api") ?? "",
      ["index.txt", ".dockerignore"],
    );
    expect(file?.toString()).toBe("api v1");
    expect(missing).toBeNull();
  });

  it("removes what earlier versions left in the cache: exported trees and a code cache", async () => {
    const leftovers = [join(cacheRoot, "trees", "abc", "Dockerfile"), join(cacheRoot, "code-cache", "x.bin")];
    for (const file of leftovers) {
      await mkdir(join(file, ".."), { recursive: true });
      await writeFile(file, "old");
    }
    await new RepoCache(cacheRoot).fetch(repo.dir, "main");
    await vi.waitFor(async () => expect(await readdir(cacheRoot)).toEqual(["repos"]));
  });

  it("streams a tree as git archives it, and fails in phase git for a tree it does not hold", async () => {
    const fetched = await new RepoCache(cacheRoot).fetch(repo.dir, "main");
    const archive = new RepoCache(cacheRoot).archive(repo.dir, fetched.trees.get(".") ?? "");
    const names: string[] = [];
    const entries = extract();
    entries.on("entry", (header, body, next) => {
      names.push(`${header.name} ${header.mode?.toString(8)}`);
      body.on("end", next);
      body.resume();
    });
    const finished = new Promise<void>((resolve) => entries.on("finish", () => resolve()));
    archive.tar.pipe(entries);
    await Promise.all([archive.done, finished]);
    expect(names).toEqual(["README 644", "api/ 755", "api/index.txt 644"]);

    const absent = new RepoCache(cacheRoot).archive(repo.dir, "0".repeat(40));
    absent.tar.resume();
    const failure = await absent.done.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PhaseError);
    expect((failure as PhaseError).message).toMatch(
      /^archiving tree 0{40} of .* failed: fatal: not a tree object/,
    );
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

  it("fails in phase git, naming a ref that does not exist (never fetched, or deleted since) and what exists", async () => {
    const never = await new RepoCache(cacheRoot).fetch(repo.dir, "nope").catch((e: unknown) => e);
    expect(never).toBeInstanceOf(PhaseError);
    expect((never as PhaseError).phase).toBe("git");
    expect((never as PhaseError).message).toBe(
      `nope is not a branch, tag or commit of ${repo.dir} (branches: main; no tags)`,
    );

    await repo.branch("short-lived", { "note.txt": "soon gone" });
    await new RepoCache(cacheRoot).fetch(repo.dir, "short-lived");
    await git(repo.dir, "branch", "-D", "short-lived");
    const deleted = await new RepoCache(cacheRoot).fetch(repo.dir, "short-lived").catch((e: unknown) => e);
    expect((deleted as PhaseError).phase).toBe("git");
    expect((deleted as PhaseError).message).toContain("short-lived is not a branch, tag or commit of");
  });

  it("fails in phase git with git's message when the repository cannot be read", async () => {
    const error = await new RepoCache(cacheRoot)
      .fetch(join(cacheRoot, "no-such-repo"), "main")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhaseError);
    expect((error as PhaseError).message).toMatch(/looking up main in .*no-such-repo failed: .+/);
  });

  it("fails with git's message when a repository it fetched before has gone", async () => {
    const gone = await makeRepo({ README: "soon gone" });
    await new RepoCache(cacheRoot).fetch(gone.dir, "main");
    await gone.remove();
    const error = await new RepoCache(cacheRoot).fetch(gone.dir, "main").catch((e: unknown) => e);
    expect((error as PhaseError).phase).toBe("git");
    expect((error as PhaseError).message).toMatch(/looking up main in .* failed: .+/);
  });

  it.each([
    ["--upload-pac=x@y:;touch marker;", "main"],
    [FIXTURE_REPO, "--output=marker"],
  ])("refuses a repo or branch git would read as an option (%s %s), running nothing", async (url, branch) => {
    const error = await new RepoCache(cacheRoot)
      .fetch(url === FIXTURE_REPO ? repo.dir : url, branch)
      .catch((e: unknown) => e);
    expect((error as PhaseError).phase).toBe("git");
    expect((error as PhaseError).message).toMatch(/^refusing ref .*must not start with "-"/);
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
      `in https://[REDACTED]@127.0.0.1:${port}/acme/api.git failed`,
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
        `looking up main in ${url(server.port).replace("deploy:SECRET-TOKEN", "[REDACTED]")} failed: ` +
          "no answer within 1.5s (git_timeout)",
      );
    });
  });
});

describe("a tag or a commit id instead of a branch", () => {
  let repo: Repo;
  let cacheRoot: string;
  /** Tagged v1.0.0 (lightweight), tagged v2.0.0 (annotated), tagged by nothing, and main's head. */
  let first: string;
  let second: string;
  let middle: string;
  let head: string;

  beforeAll(async () => {
    repo = await makeRepo(inFolder("api", { "index.txt": "api 1" }));
    first = await repo.head();
    await git(repo.dir, "tag", "v1.0.0");
    second = await repo.commit(inFolder("api", { "index.txt": "api 2" }));
    await git(repo.dir, "tag", "-a", "-m", "release 2", "v2.0.0");
    middle = await repo.commit(inFolder("api", { "index.txt": "api 3" }));
    head = await repo.commit(inFolder("api", { "index.txt": "api 4" }));
    cacheRoot = await mkdtemp(join(tmpdir(), "deploy-e2e-cache-"));
  });
  afterAll(async () => {
    await repo.remove();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  async function content(fetched: { trees: ReadonlyMap<string, string> }): Promise<string> {
    const [file] = await new RepoCache(cacheRoot).readFiles(repo.dir, fetched.trees.get("api") ?? "", [
      "index.txt",
    ]);
    return file?.toString() ?? "";
  }

  it("fetches a tag, annotated or lightweight: the commit it names", async () => {
    const annotated = await new RepoCache(cacheRoot).fetch(repo.dir, "v2.0.0");
    expect(annotated).toMatchObject({ kind: "tag", commit: second });
    expect(await content(annotated)).toBe("api 2");
    const light = await new RepoCache(cacheRoot).fetch(repo.dir, "v1.0.0");
    expect(light).toMatchObject({ kind: "tag", commit: first });
    expect(await content(light)).toBe("api 1");
    expect(await new RepoCache(cacheRoot).fetch(repo.dir, "main")).toMatchObject({
      kind: "branch",
      commit: head,
    });
  });

  it("reuses a tag's record while it has not moved, and fetches it again once it has", async () => {
    const file = await refRecordFile(cacheRoot, "tag", "v2.0.0");
    await plant(file);
    expect((await new RepoCache(cacheRoot).fetch(repo.dir, "v2.0.0")).trees.get("api")).toBe("planted");
    await git(repo.dir, "tag", "-f", "-a", "-m", "release 2, again", "v2.0.0", middle);
    const moved = await new RepoCache(cacheRoot).fetch(repo.dir, "v2.0.0");
    expect(moved).toMatchObject({ kind: "tag", commit: middle });
    expect(await content(moved)).toBe("api 3");
    await git(repo.dir, "tag", "-f", "-a", "-m", "release 2", "v2.0.0", second);
  });

  it("fetches a full commit id no branch or tag points at; a commit never moves, so its record is kept", async () => {
    const fetched = await new RepoCache(cacheRoot).fetch(repo.dir, second);
    expect(fetched).toMatchObject({ kind: "commit", commit: second });
    expect(await content(fetched)).toBe("api 2");
    const file = await refRecordFile(cacheRoot, "commit", second);
    await plant(file);
    expect((await new RepoCache(cacheRoot).fetch(repo.dir, second.toUpperCase())).trees.get("api")).toBe(
      "planted",
    );
  });

  it("looks an abbreviated commit id up in the history (the cache deepened from its shallow fetches)", async () => {
    const fetched = await new RepoCache(cacheRoot).fetch(repo.dir, middle.slice(0, 7));
    expect(fetched).toMatchObject({ kind: "commit", commit: middle });
    expect(await content(fetched)).toBe("api 3");
    const oldest = await new RepoCache(cacheRoot).fetch(repo.dir, first.slice(0, 10).toUpperCase());
    expect(oldest).toMatchObject({ kind: "commit", commit: first });
    // The history is fetched once while the remote's heads stand still: a newer commit needs a new fetch.
    const newer = await repo.commit(inFolder("api", { "index.txt": "api 5" }));
    expect(await new RepoCache(cacheRoot).fetch(repo.dir, newer.slice(0, 8))).toMatchObject({
      commit: newer,
    });
    head = newer;
  });

  it("finds a full commit id in the history when the server refuses to send it by id", async () => {
    // Protocol v0 without uploadpack.allowAnySHA1InWant: "Server does not allow request for unadvertised object".
    const config = await mkdtemp(join(tmpdir(), "deploy-e2e-xdg-"));
    await mkdir(join(config, "git"));
    await writeFile(join(config, "git", "config"), "[protocol]\n\tversion = 0\n");
    const fresh = await mkdtemp(join(tmpdir(), "deploy-e2e-cache-"));
    const saved = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = config;
    try {
      const fetched = await new RepoCache(fresh).fetch(repo.dir, middle);
      expect(fetched).toMatchObject({ kind: "commit", commit: middle });
      expect(await cachedRefs(fresh)).toContain("refs/deploy/all/heads/main");
    } finally {
      if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = saved;
      await rm(config, { recursive: true, force: true });
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it.each([
    ["an abbreviation", "0000000"],
    ["a full id", "1".repeat(40)],
    ["a tag name", "v9.9.9"],
  ])("fails in phase git when %s names nothing, saying what exists", async (_what, ref) => {
    const error = await new RepoCache(cacheRoot).fetch(repo.dir, ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhaseError);
    expect((error as PhaseError).phase).toBe("git");
    expect((error as PhaseError).message).toBe(
      `${ref} is not a branch, tag or commit of ${repo.dir} (branches: main; tags: v2.0.0, v1.0.0)`,
    );
  });

  it("refuses an abbreviation that starts several commits, naming them", async () => {
    const ids = await manyCommits(repo.dir, 1500);
    const byPrefix = new Map<string, string[]>();
    for (const id of ids) byPrefix.set(id.slice(0, 4), [...(byPrefix.get(id.slice(0, 4)) ?? []), id]);
    const [prefix, clash = []] = [...byPrefix].find(([, group]) => group.length > 1) ?? [];
    expect(prefix, "1500 commits share a 4-digit prefix").toBeDefined();
    const error = await new RepoCache(cacheRoot).fetch(repo.dir, prefix ?? "").catch((e: unknown) => e);
    expect((error as PhaseError).phase).toBe("git");
    expect((error as PhaseError).message).toMatch(
      new RegExp(
        `^commit ${prefix} is ambiguous in .*: ${clash.length} commits start with it \\(.*${clash[0]?.slice(0, 12)}.*\\); give more digits$`,
      ),
    );
    // Enough digits pick one of them.
    const one = clash[0] ?? "";
    expect(await new RepoCache(cacheRoot).fetch(repo.dir, one.slice(0, 12))).toMatchObject({
      kind: "commit",
      commit: one,
    });
  });
});
