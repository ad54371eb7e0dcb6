import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceStatusRow } from "../../src/commands/status.js";
import { containerName, imageTag } from "../../src/labels.js";
import type { TargetPreview } from "../../src/plan/preview.js";
import { waitFor } from "./support/background.js";
import { type CliResult, runCli } from "./support/cli.js";
import { cleanupProject, docker, freePorts, httpGet } from "./support/docker.js";
import { expectExit, someLine } from "./support/expect.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * The read-only commands against a real deploy: `plan` after a new commit, `status` while healthy and after a
 * container was stopped behind the tool's back, `logs` of the container and of the last deploy run.
 * Two services from two repositories, deployed once; then a new commit to `front` only.
 */
const project = projectName("e2e-cmd");
const workspace = new Workspace();
const SERVICES = ["front", "back"] as const;
type Service = (typeof SERVICES)[number];

const repos = {} as Record<Service, Repo>;
let ports: Record<Service, number>;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
let newCommit: string;
/** The commits of the first deploy. */
const deployed = {} as Record<Service, string>;

const marker = (service: Service, version: string) => `${project} ${service} ${version}`;
const cli = (...args: string[]): Promise<CliResult> => runCli(args, { cwd, env });

beforeAll(async () => {
  repos.front = await makeRepo(httpService(marker("front", "v1")));
  repos.back = await makeRepo(httpService(marker("back", "v1")));
  const [front, back] = (await freePorts(2)) as [number, number];
  ports = { front, back };
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults(),
    services: {
      front: { repo: repos.front.dir, ports: [`127.0.0.1:${front}:8080`] },
      back: { repo: repos.back.dir, ports: [`127.0.0.1:${back}:8080`] },
    },
  });
  expectExit(await cli("all"), 0);
  for (const service of SERVICES) deployed[service] = await repos[service].head();
  newCommit = await repos.front.commit(httpService(marker("front", "v2")), "front v2");
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([...Object.values(repos).map((repo) => repo.remove()), workspace.cleanup()]);
});

describe("deploy plan", () => {
  it("shows a build for the service with a new commit and unchanged for the other", async () => {
    const result = await cli("plan", "all");
    expectExit(result, 0);
    expect(
      someLine(result.stdout, "front", "build", "new commit", newCommit.slice(0, 12)),
      result.output,
    ).toBe(true);
    expect(someLine(result.stdout, "back", "unchanged"), result.output).toBe(true);
    expect(someLine(result.stdout, "back", "build"), result.output).toBe(false);
  });

  it("--json gives the same as data", async () => {
    const result = await cli("plan", "all", "--json");
    expectExit(result, 0);
    const plan = JSON.parse(result.stdout) as { project: string; targets: TargetPreview[] };
    expect(plan.project).toBe(project);
    const byService = Object.fromEntries(plan.targets.map((target) => [target.service, target]));
    expect(Object.keys(byService).sort()).toEqual(["back", "front"]);
    expect(byService.front).toMatchObject({
      action: "build",
      commit: newCommit,
      image: imageTag(project, "front", newCommit),
    });
    expect(byService.front?.reason).toContain("new commit");
    expect(byService.back).toMatchObject({ action: "unchanged", commit: await repos.back.head() });
  });

  it("touches nothing", async () => {
    const before = (await logs.status("front")).run_id;
    expectExit(await cli("plan", "all"), 0);
    expect((await logs.status("front")).run_id).toBe(before);
    expect((await httpGet(`http://127.0.0.1:${ports.front}/`)).body).toContain(marker("front", "v1"));
    expect(
      await docker.listImages({ filters: { reference: [imageTag(project, "front", newCommit)] } }),
    ).toEqual([]);
  });
});

describe("DEPLOY_* variables", () => {
  it("an unrelated one (a CI secret such as DEPLOY_KEY) is ignored", async () => {
    const result = await runCli(["plan", "all"], { cwd, env: { ...env, DEPLOY_KEY: "ssh-ed25519 AAAAkey" } });
    expectExit(result, 0);
    expect(someLine(result.stdout, "front", "build", "new commit"), result.output).toBe(true);
    expect(result.output).not.toContain("AAAAkey");
  });

  it("DEPLOY_DRY_RUN=1 plans and does not deploy", async () => {
    const before = (await logs.status("front")).run_id;
    const result = await runCli(["all"], { cwd, env: { ...env, DEPLOY_DRY_RUN: "1" } });
    expectExit(result, 0);
    expect(someLine(result.stdout, "front", "build", "new commit"), result.output).toBe(true);
    expect((await logs.status("front")).run_id).toBe(before);
    expect((await httpGet(`http://127.0.0.1:${ports.front}/`)).body).toContain(marker("front", "v1"));
  });

  it("an unreadable boolean is a usage error naming the variable, not echoing it", async () => {
    const result = await runCli(["all"], { cwd, env: { ...env, DEPLOY_DRY_RUN: "perhaps" } });
    expectExit(result, 2);
    expect(result.stderr).toContain("DEPLOY_DRY_RUN");
    expect(result.stderr).not.toContain("perhaps");
  });
});

describe("deploy logs", () => {
  it("--tail prints the container's own output, its last N lines", async () => {
    // busybox httpd -v logs one line per request, with the response status: six 200s, then one 404.
    const base = `http://127.0.0.1:${ports.front}`;
    for (let i = 0; i < 6; i++) expect((await httpGet(`${base}/`)).status).toBe(200);
    expect((await httpGet(`${base}/missing-${randomBytes(4).toString("hex")}`)).status).toBe(404);
    // httpd may write its line just after answering: ask until the 404 is in.
    const result = await waitFor(
      async () => {
        const attempt = await cli("logs", "front", "--tail", "5");
        return /response:404\s*$/.test(attempt.stdout) ? attempt : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 250, what: () => "the 404 in the container's log" },
    );
    expectExit(result, 0);
    const lines = result.stdout.split("\n").filter(Boolean);
    expect(lines, result.output).toHaveLength(5);
    expect(
      lines.slice(0, 4).every((line) => line.includes("response:200")),
      result.output,
    ).toBe(true);
  });

  it("--run prints the last deploy's section of the service log", async () => {
    const result = await cli("logs", "front", "--run");
    expectExit(result, 0);
    expect(result.stdout, result.output).toMatch(/^==== run \S+ /);
    const runId = (await logs.status("front")).run_id;
    expect(result.stdout.split("\n")[0]).toContain(runId);
    // Exactly one run's section.
    expect(result.stdout.match(/^==== run /gm)?.length).toBe(1);
    expect(result.stdout).toMatch(/\[build\]/);
    expect(result.stdout).toMatch(/succeeded/);
  });
});

describe("deploy status", () => {
  it("exits 0 with every service healthy", async () => {
    const result = await cli("status");
    expectExit(result, 0);
    for (const service of SERVICES) {
      expect(someLine(result.stdout, service, "healthy"), result.output).toBe(true);
    }
  });

  it("--json gives one row per service", async () => {
    const result = await cli("status", "--json");
    expectExit(result, 0);
    const rows = JSON.parse(result.stdout) as ServiceStatusRow[];
    expect(rows.map((row) => row.service).sort()).toEqual(["back", "front"]);
    for (const row of rows) {
      expect(row).toMatchObject({
        host: "local",
        running: true,
        healthy: true,
        health: "healthy",
        last_state: "succeeded",
        image: imageTag(project, row.service, deployed[row.service as Service]),
        commit: deployed[row.service as Service],
      });
    }
  });

  it("exits 1 once a container is stopped, saying it is not running", async () => {
    await docker.getContainer(containerName(project, "back")).stop();
    const result = await cli("status");
    expectExit(result, 1);
    expect(someLine(result.stdout, "back", "not running"), result.output).toBe(true);
    expect(someLine(result.stdout, "front", "healthy"), result.output).toBe(true);

    const json = await cli("status", "--json");
    expectExit(json, 1);
    const rows = JSON.parse(json.stdout) as ServiceStatusRow[];
    const back = rows.find((row) => row.service === "back");
    expect(back).toMatchObject({ running: false, healthy: false });
    expect(back?.health).toMatch(/not running/);
    expect(rows.find((row) => row.service === "front")).toMatchObject({ running: true, healthy: true });
  });

  it("plan: the stopped container is recreated from the image it ran, not rebuilt", async () => {
    const result = await cli("plan", "back", "--json");
    expectExit(result, 0);
    const [back] = (JSON.parse(result.stdout) as { targets: TargetPreview[] }).targets;
    expect(back).toMatchObject({
      action: "recreate",
      reason: "the container is not running",
      running_image: imageTag(project, "back", deployed.back),
    });
  });
});
