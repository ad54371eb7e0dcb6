import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusRecord } from "../../src/events.js";
import { imageTag, LABEL } from "../../src/labels.js";
import { runCli } from "./support/cli.js";
import { cleanupProject, freePorts, httpGet, inspectContainer, inspectImage } from "./support/docker.js";
import { EVENT_LINE, expectExit, logPhases } from "./support/expect.js";
import { httpService, inFolder, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * Three services from two repositories: svc-a and svc-b live in one repository (a monorepo, one folder each;
 * svc-b depends on svc-a), svc-c in another. Deployed together, then svc-a alone, then svc-a from a branch.
 */
const project = projectName();
const workspace = new Workspace();
const SERVICES = ["svc-a", "svc-b", "svc-c"] as const;
type Service = (typeof SERVICES)[number];
const marker = (service: Service) => `${project} ${service} main`;

let mono: Repo;
let single: Repo;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
let ports: Record<Service, number>;
let featureCommit: string;
/** Facts from the first deploy, compared by the later ones. */
const first = { runId: "", containers: {} as Record<string, string>, images: {} as Record<string, string> };

const url = (service: Service, path = "/") => `http://127.0.0.1:${ports[service]}${path}`;

beforeAll(async () => {
  mono = await makeRepo({
    ...inFolder("svc-a", httpService(marker("svc-a"))),
    ...inFolder("svc-b", httpService(marker("svc-b"))),
  });
  featureCommit = await mono.branch("feature", {
    "svc-a/www/index.html": `<html><body>${project} svc-a feature</body></html>\n`,
  });
  single = await makeRepo(httpService(marker("svc-c")));

  const [a, b, c] = await freePorts(3);
  ports = { "svc-a": a as number, "svc-b": b as number, "svc-c": c as number };
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults(),
    services: {
      "svc-a": {
        repo: mono.dir,
        context: "svc-a",
        ports: [`127.0.0.1:${ports["svc-a"]}:8080`],
        environment: { GREETING: "hello" },
        labels: { team: "e2e" },
      },
      "svc-b": {
        repo: mono.dir,
        context: "svc-b",
        ports: [`127.0.0.1:${ports["svc-b"]}:8080`],
        depends_on: ["svc-a"],
      },
      "svc-c": { repo: single.dir, ports: [`127.0.0.1:${ports["svc-c"]}:8080`] },
    },
  });
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([mono?.remove(), single?.remove(), workspace.cleanup()]);
});

describe("deploy all", () => {
  it("deploys every service concurrently, healthy, and exits 0", async () => {
    const result = await runCli(["all", "-j", "3"], { cwd, env });
    expectExit(result, 0);

    for (const service of SERVICES) {
      const response = await httpGet(url(service));
      expect(response.status, service).toBe(200);
      expect(response.body, service).toContain(marker(service));
      expect((await httpGet(url(service, "/health"))).status, service).toBe(200);
    }

    const statuses = Object.fromEntries(
      await Promise.all(SERVICES.map(async (s) => [s, await logs.status(s)] as const)),
    ) as Record<Service, StatusRecord>;
    const a = statuses["svc-a"];
    const c = statuses["svc-c"];
    // svc-a and svc-c are independent and were selected together: their deploys overlap in time.
    expect(Date.parse(c.started_at)).toBeLessThan(Date.parse(a.finished_at ?? ""));
    expect(Date.parse(a.started_at)).toBeLessThan(Date.parse(c.finished_at ?? ""));
    first.runId = a.run_id;
  });

  it("writes status files that match what runs on the engine", async () => {
    const heads: Record<Service, string> = {
      "svc-a": await mono.head(),
      "svc-b": await mono.head(),
      "svc-c": await single.head(),
    };
    for (const service of SERVICES) {
      const status = await logs.status(service);
      const commit = heads[service];
      expect(status).toMatchObject({
        service,
        run_id: first.runId,
        state: "succeeded",
        host: "local",
        branch: "main",
        commit,
        image: imageTag(project, service, commit),
        live_image: imageTag(project, service, commit),
        live_commit: commit,
        previous_image: null,
        health_gate: "http",
        error: null,
      });
      expect(status.duration_ms).toEqual(expect.any(Number));
      expect(Date.parse(status.finished_at ?? "")).toBeGreaterThanOrEqual(Date.parse(status.started_at));

      const container = await inspectContainer(`${project}-${service}`);
      expect(status.container_id).toBeTruthy();
      expect(container.Id.startsWith(status.container_id ?? "-")).toBe(true);
      expect(container.State.Running).toBe(true);
      expect(container.Config.Image).toBe(status.image);
      expect(container.Config.Labels).toMatchObject({
        [LABEL.project]: project,
        [LABEL.service]: service,
        [LABEL.host]: "local",
        [LABEL.commit]: commit,
        [LABEL.branch]: "main",
        [LABEL.runId]: first.runId,
      });

      const image = await inspectImage(imageTag(project, service, commit));
      expect(image.Id).toBe(container.Image);
      expect(image.Config.Labels).toMatchObject({
        [LABEL.project]: project,
        [LABEL.service]: service,
        [LABEL.commit]: commit,
        [LABEL.branch]: "main",
      });
      first.containers[service] = container.Id;
      first.images[service] = imageTag(project, service, commit);
    }
    // The manifest's own labels reach the container too.
    expect((await inspectContainer(`${project}-svc-a`)).Config.Labels).toMatchObject({ team: "e2e" });

    // svc-b waited for svc-a to be healthy before its container started.
    const a = await inspectContainer(`${project}-svc-a`);
    const b = await inspectContainer(`${project}-svc-b`);
    expect(Date.parse(b.State.StartedAt)).toBeGreaterThan(Date.parse(a.State.StartedAt));
  });

  it("writes a log file per service: a header, then time-stamped phase lines", async () => {
    for (const service of SERVICES) {
      const log = await logs.log(service);
      const lines = log.split("\n").filter(Boolean);
      const header = lines.findIndex((line) => line.includes(first.runId));
      expect(header, log).toBeGreaterThanOrEqual(0);
      expect(lines[header], log).toContain("main");
      expect(logPhases(log), log).toEqual(expect.arrayContaining(["git", "build", "deploy", "health"]));
      expect(lines.filter((line) => EVENT_LINE.test(line)).length, log).toBeGreaterThan(4);
    }
  });

  it("writes the run summary: runs/<run-id>.json and last-run.json", async () => {
    const last = await logs.lastRun();
    expect(last.run_id).toBe(first.runId);
    expect(last.exit_code).toBe(0);
    expect(last.services.map((s) => [s.service, s.state]).sort()).toEqual(
      SERVICES.map((s) => [s, "succeeded"]).sort(),
    );
    expect(await logs.run(first.runId)).toEqual(last);
  });
});

describe("deploy a subset", () => {
  it("touches only the selected service", async () => {
    const before = {
      "svc-b": await logs.statusText("svc-b"),
      "svc-c": await logs.statusText("svc-c"),
    };
    const result = await runCli(["svc-a"], { cwd, env });
    expectExit(result, 0);

    const a = await logs.status("svc-a");
    expect(a.run_id).not.toBe(first.runId);
    // Nothing changed since the first deploy: rebuilding is allowed but not needed.
    expect(["succeeded", "unchanged"]).toContain(a.state);
    expect(a.commit).toBe(await mono.head());

    for (const service of ["svc-b", "svc-c"] as const) {
      expect(await logs.statusText(service), service).toBe(before[service]);
      expect((await inspectContainer(`${project}-${service}`)).Id, service).toBe(first.containers[service]);
    }
    const last = await logs.lastRun();
    expect(last.run_id).toBe(a.run_id);
    expect(last.exit_code).toBe(0);
    expect(last.services.map((s) => s.service)).toEqual(["svc-a"]);
    expect((await httpGet(url("svc-a"))).body).toContain(marker("svc-a"));
  });

  it("deploys the branch given on the command line", async () => {
    const before = await logs.statusText("svc-b");
    const result = await runCli(["svc-a", "feature"], { cwd, env });
    expectExit(result, 0);

    const a = await logs.status("svc-a");
    expect(a).toMatchObject({
      state: "succeeded",
      branch: "feature",
      commit: featureCommit,
      image: imageTag(project, "svc-a", featureCommit),
      live_commit: featureCommit,
      previous_image: first.images["svc-a"],
      error: null,
    });
    const response = await httpGet(url("svc-a"));
    expect(response.body).toContain(`${project} svc-a feature`);

    const container = await inspectContainer(`${project}-svc-a`);
    expect(container.Id).not.toBe(first.containers["svc-a"]);
    expect(container.Config.Labels).toMatchObject({
      [LABEL.branch]: "feature",
      [LABEL.commit]: featureCommit,
    });
    expect(await logs.statusText("svc-b")).toBe(before);
    expect((await httpGet(url("svc-b"))).body).toContain(marker("svc-b"));
  });
});
