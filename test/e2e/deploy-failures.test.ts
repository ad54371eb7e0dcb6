import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "./support/cli.js";
import { cleanupProject, findContainer, freePorts, httpGet } from "./support/docker.js";
import { expectExit, someLine } from "./support/expect.js";
import {
  crashingService,
  failingBuildService,
  httpService,
  inFolder,
  makeRepo,
  noHealthService,
  type Repo,
} from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * One run in which four services fail in four different ways — a failing build, a container that exits at
 * once, a health endpoint that answers 404, a branch that does not exist — next to one healthy service.
 * A first deploy of each: nothing to roll back to, so the failed ones end `failed`.
 */
const project = projectName();
const workspace = new Workspace();
const FAILED = ["broken-build", "crasher", "no-health", "missing-branch"] as const;

let repo: Repo;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
let healthyPort: number;
let result: CliResult;

beforeAll(async () => {
  repo = await makeRepo({
    ...inFolder("healthy", httpService(`${project} healthy`)),
    ...inFolder("broken-build", failingBuildService(`${project} broken-build`)),
    ...inFolder("crasher", crashingService(`${project} crasher`)),
    ...inFolder("no-health", noHealthService(`${project} no-health`)),
  });
  const [p1, p2, p3, p4, p5] = (await freePorts(5)) as [number, number, number, number, number];
  healthyPort = p1;
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  const service = (context: string, port: number, extra: object = {}) => ({
    repo: repo.dir,
    context,
    ports: [`127.0.0.1:${port}:8080`],
    ...extra,
  });
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults(),
    services: {
      healthy: service("healthy", p1),
      "broken-build": service("broken-build", p2),
      crasher: service("crasher", p3),
      "no-health": service("no-health", p4, {
        health: { path: "/health", interval: "250ms", timeout: "6s" },
      }),
      "missing-branch": service("healthy", p5, { branch: "does-not-exist" }),
    },
  });
  result = await runCli(["all", "-j", "5"], { cwd, env });
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

describe("a run with failures", () => {
  it("exits 1 and still deploys the healthy service", async () => {
    expectExit(result, 1);
    const response = await httpGet(`http://127.0.0.1:${healthyPort}/`);
    expect(response.status).toBe(200);
    expect(response.body).toContain(`${project} healthy`);
    expect(await logs.status("healthy")).toMatchObject({ state: "succeeded", error: null });
  });

  it("reports a failing build in the build phase", async () => {
    const status = await logs.status("broken-build");
    expect(status.state).toBe("failed");
    expect(status.error?.phase).toBe("build");
    // The failing step, the engine's reason and the step's own output, in the status file.
    expect(status.error?.message).toMatch(
      /^build failed at \[\d\/\d\] RUN echo "building .*: .*exit code: 3\n/,
    );
    expect(status.error?.message).toContain(`  | building ${project} broken-build, about to fail`);
    // The build's own output went to the service's log.
    expect(await logs.log("broken-build")).toContain(`building ${project} broken-build, about to fail`);
  });

  it("reports a container that exits at once, with its exit", async () => {
    const status = await logs.status("crasher");
    expect(status.state).toBe("failed");
    expect(["health", "deploy"]).toContain(status.error?.phase);
    expect(status.error?.message).toMatch(/exit|crash/i);
    // Found when the container exited (under a restart policy: when it first restarted), not by waiting out the
    // 20 s health timeout.
    expect(status.duration_ms).toBeLessThan(15_000);
  });

  it("reports a health endpoint answering 404, naming the status", async () => {
    const status = await logs.status("no-health");
    expect(status.state).toBe("failed");
    expect(status.error?.phase).toBe("health");
    expect(status.error?.message).toContain("404");
  });

  it("reports a missing branch in the git phase, naming it and the branches that exist", async () => {
    const status = await logs.status("missing-branch");
    expect(status.state).toBe("failed");
    expect(status.branch).toBe("does-not-exist");
    expect(status.error?.phase).toBe("git");
    expect(status.error?.message).toMatch(
      /^does-not-exist is not a branch, tag or commit of .*\(branches: main;/,
    );
  });

  it("names every failed service in its output", () => {
    const output = `${result.stdout}\n${result.stderr}`;
    for (const service of FAILED) {
      expect(someLine(output, service, /fail|error/i), `${service}\n${result.output}`).toBe(true);
    }
  });

  it("leaves no failed container running and records the run", async () => {
    for (const service of FAILED) {
      const container = await findContainer(`${project}-${service}`);
      expect(container?.State.Running ?? false, service).toBe(false);
    }
    const last = await logs.lastRun();
    expect(last.exit_code).toBe(1);
    const states = Object.fromEntries(last.services.map((s) => [s.service, s.state]));
    expect(states).toEqual({
      healthy: "succeeded",
      "broken-build": "failed",
      crasher: "failed",
      "no-health": "failed",
      "missing-branch": "failed",
    });
  });
});
