import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostReleases } from "../../src/commands/releases.js";
import type { TargetPreview } from "../../src/plan/preview.js";
import { type CliResult, runCli } from "./support/cli.js";
import { cleanupProject, freePorts, httpGet } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { git, httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * Deploying a tag or a commit instead of a branch (tracker issue 18): the manifest's `branch` is the tag
 * v1.0.0; the command line then names a full commit id, an abbreviated one, the tag again (already running:
 * unchanged) and a ref that names nothing. The status file, the log and `deploy releases` say which kind each was.
 */
const project = projectName("e2e-refs");
const workspace = new Workspace();
const marker = (version: string) => `${project} api ${version}`;

let repo: Repo;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
let port: number;
/** Tagged v1.0.0 (annotated), and main's head. */
let v1: string;
let v2: string;

const deploy = (...args: string[]): Promise<CliResult> => runCli(args, { cwd, env });
const page = async () => (await httpGet(`http://127.0.0.1:${port}/`)).body;

beforeAll(async () => {
  repo = await makeRepo(httpService(marker("v1")));
  v1 = await repo.head();
  await git(repo.dir, "tag", "-a", "-m", "release 1.0.0", "v1.0.0");
  v2 = await repo.commit(httpService(marker("v2")), "v2");
  [port = 0] = await freePorts(1);
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults({ health: { path: "/health", interval: "250ms", timeout: "10s" } }),
    services: { api: { repo: repo.dir, branch: "v1.0.0", ports: [`127.0.0.1:${port}:8080`] } },
  });
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

describe("deploy by tag or commit", () => {
  it("deploys the manifest's branch when it is a tag: the status says ref_kind tag", async () => {
    expectExit(await deploy("api"), 0);
    expect(await logs.status("api")).toMatchObject({
      state: "succeeded",
      branch: "v1.0.0",
      ref_kind: "tag",
      commit: v1,
    });
    expect(await page()).toContain(marker("v1"));
    expect(await logs.log("api")).toContain(`[git] commit ${v1} (tag v1.0.0)`);
  });

  it("deploys a full commit id given on the command line", async () => {
    expectExit(await deploy("api", v2), 0);
    expect(await logs.status("api")).toMatchObject({
      state: "succeeded",
      branch: v2,
      ref_kind: "commit",
      commit: v2,
    });
    expect(await page()).toContain(marker("v2"));
  });

  it("deploys an abbreviated commit id", async () => {
    const short = v1.slice(0, 8);
    expectExit(await deploy("api", short), 0);
    expect(await logs.status("api")).toMatchObject({
      state: "succeeded",
      branch: short,
      ref_kind: "commit",
      commit: v1,
    });
    expect(await page()).toContain(marker("v1"));
  });

  it("a tag that names the running commit is unchanged, in the plan and in the deploy", async () => {
    const plan = await deploy("plan", "api", "v1.0.0", "--json");
    expectExit(plan, 0);
    const [target] = (JSON.parse(plan.stdout) as { targets: TargetPreview[] }).targets;
    expect(target).toMatchObject({ ref_kind: "tag", commit: v1, action: "unchanged" });

    expectExit(await deploy("api", "v1.0.0"), 0);
    expect(await logs.status("api")).toMatchObject({ state: "unchanged", ref_kind: "tag", commit: v1 });
  });

  it("a ref that names nothing fails in phase git, saying what exists; the service keeps running", async () => {
    const result = await deploy("api", "v9.9.9");
    expectExit(result, 1);
    expect(await logs.status("api")).toMatchObject({
      state: "failed",
      ref_kind: null,
      error: {
        phase: "git",
        message: `v9.9.9 is not a branch, tag or commit of ${repo.dir} (branches: main; tags: v1.0.0)`,
      },
    });
    expect(await page()).toContain(marker("v1"));
  });

  it("`deploy releases` says what each release was deployed from", async () => {
    const listed = await deploy("releases", "api", "--json");
    expectExit(listed, 0);
    const [host] = JSON.parse(listed.stdout) as HostReleases[];
    expect(host?.releases?.map((r) => [r.ref, r.ref_kind, r.commit])).toEqual([
      [v1.slice(0, 8), "commit", v1],
      [v2, "commit", v2],
      ["v1.0.0", "tag", v1],
    ]);
    const table = await deploy("releases", "api");
    expectExit(table, 0);
    expect(table.stdout).toContain("v1.0.0 (tag)");
    expect(table.stdout).toContain(`${v1.slice(0, 8)} (commit)`);
  });
});
