import { randomBytes } from "node:crypto";
import type { Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusRecord } from "../../src/events.js";
import { imageTag, LABEL } from "../../src/labels.js";
import {
  buildStepLines,
  closeServer,
  holdPort,
  lastRunSection,
  removeFromRepo,
  startCli,
  waitForState,
} from "./support/background.js";
import { type CliResult, runCli } from "./support/cli.js";
import { cleanupProject, docker, freePorts, httpGet, inspectContainer } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import {
  crashingService,
  failingBuildService,
  httpService,
  makeRepo,
  noHealthService,
  type Repo,
} from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * Safe and repeatable deploys (tracker issue 4), each service in a repository of its own:
 * - alpha and beta: reruns without a change, a new commit to one of them, an environment-only change, then four
 *   ways a deploy of alpha can go wrong after a good one — each must leave alpha's previous version serving;
 * - gamma: `deploy rollback`, to the previous image and to a named one;
 * - keeper: image retention (`keep_images: 2`);
 * - slow: a build slow enough to hold the project lock while a second deploy is refused.
 */
const project = projectName("e2e-safe");
const workspace = new Workspace();
const SERVICES = ["alpha", "beta", "gamma", "keeper", "slow"] as const;
type Service = (typeof SERVICES)[number];
/** Build steps unique to this run, so the engine's build cache of an earlier run never skips a slow step. */
const nonce = randomBytes(4).toString("hex");

const repos = {} as Record<Service, Repo>;
let ports: Record<Service | "taken", number>;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
let takenPortServer: Server | undefined;

const marker = (service: Service, version: string) => `${project} ${service} ${version}`;
const url = (service: Service, path = "/") => `http://127.0.0.1:${ports[service]}${path}`;
const containerOf = (service: Service) => inspectContainer(`${project}-${service}`);

interface Tweaks {
  betaEnvironment?: Record<string, string>;
  alphaPorts?: string[];
}

async function writeProjectManifest(tweaks: Tweaks = {}): Promise<void> {
  const service = (name: Service, extra: object = {}) => ({
    repo: repos[name].dir,
    ports: [`127.0.0.1:${ports[name]}:8080`],
    ...extra,
  });
  await writeManifest(cwd, {
    version: 1,
    project,
    keep_images: 2,
    defaults: e2eDefaults(),
    services: {
      alpha: service("alpha", {
        ...(tweaks.alphaPorts ? { ports: tweaks.alphaPorts } : {}),
        // The 404 case waits out its timeout: keep it short.
        health: { path: "/health", interval: "250ms", timeout: "6s" },
      }),
      beta: service("beta", { environment: tweaks.betaEnvironment ?? { MODE: "one" } }),
      gamma: service("gamma"),
      keeper: service("keeper"),
      slow: service("slow"),
    },
  });
}

async function deploy(...args: string[]): Promise<CliResult> {
  return runCli(args, { cwd, env });
}

beforeAll(async () => {
  repos.alpha = await makeRepo(httpService(marker("alpha", "v1")));
  repos.beta = await makeRepo(httpService(marker("beta", "v1")));
  repos.gamma = await makeRepo(httpService(marker("gamma", "A")));
  repos.keeper = await makeRepo(httpService(marker("keeper", "1")));
  repos.slow = await makeRepo(
    httpService(marker("slow", "v1"), [`RUN echo "slow build ${nonce}" && sleep 6`]),
  );
  const free = await freePorts(SERVICES.length + 1);
  ports = {
    alpha: free[0] as number,
    beta: free[1] as number,
    gamma: free[2] as number,
    keeper: free[3] as number,
    slow: free[4] as number,
    taken: free[5] as number,
  };
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await writeProjectManifest();
});

afterAll(async () => {
  await closeServer(takenPortServer);
  await cleanupProject(project);
  await Promise.all([...Object.values(repos).map((repo) => repo.remove()), workspace.cleanup()]);
});

/** What alpha and beta run now, to compare after the next deploy. */
interface Live {
  id: string;
  startedAt: string;
  image: string;
  status: StatusRecord;
}
const live = {} as Record<"alpha" | "beta", Live>;

async function snapshot(service: "alpha" | "beta"): Promise<Live> {
  const container = await containerOf(service);
  return {
    id: container.Id,
    startedAt: container.State.StartedAt,
    image: container.Config.Image,
    status: await logs.status(service),
  };
}

async function expectUnchanged(service: "alpha" | "beta", result: CliResult): Promise<void> {
  const status = await logs.status(service);
  expect(status.state, `${service}\n${result.output}`).toBe("unchanged");
  expect(status.reason, service).toMatch(/already runs|identical/);
  const container = await containerOf(service);
  expect(container.Id, service).toBe(live[service].id);
  expect(container.State.Running, service).toBe(true);
  expect(container.State.StartedAt, `${service} was restarted`).toBe(live[service].startedAt);
  // Nothing was built for it in this run.
  expect(buildStepLines(lastRunSection(await logs.log(service))), service).toEqual([]);
}

describe("repeatable deploys", () => {
  it("deploys alpha and beta from their own repositories", async () => {
    const result = await deploy("alpha,beta");
    expectExit(result, 0);
    for (const service of ["alpha", "beta"] as const) {
      expect((await logs.status(service)).state, service).toBe("succeeded");
      expect((await httpGet(url(service))).body, service).toContain(marker(service, "v1"));
      live[service] = await snapshot(service);
      // A real build ran: the builder's step lines are in this run's section.
      expect(buildStepLines(lastRunSection(await logs.log(service))).length, service).toBeGreaterThan(0);
    }
  });

  it("a rerun without a change keeps every container and builds nothing", async () => {
    const result = await deploy("alpha,beta");
    expectExit(result, 0);
    for (const service of ["alpha", "beta"] as const) {
      await expectUnchanged(service, result);
      expect((await logs.status(service)).run_id).not.toBe(live[service].status.run_id);
    }
    // The output says why nothing was done.
    expect(result.stdout + result.stderr, result.output).toMatch(/already runs/);
    const last = await logs.lastRun();
    expect(last.exit_code).toBe(0);
    expect(last.services.map((s) => s.state)).toEqual(["unchanged", "unchanged"]);
  });

  it("a new commit to one repository replaces only that service", async () => {
    const commit = await repos.alpha.commit(httpService(marker("alpha", "v2")), "alpha v2");
    const result = await deploy("alpha,beta");
    expectExit(result, 0);

    const status = await logs.status("alpha");
    expect(status).toMatchObject({
      state: "succeeded",
      commit,
      image: imageTag(project, "alpha", commit),
      live_image: imageTag(project, "alpha", commit),
      live_commit: commit,
      previous_image: live.alpha.image,
      error: null,
    });
    expect(status.downtime_ms).toEqual(expect.any(Number));
    expect(status.downtime_ms).toBeGreaterThanOrEqual(0);
    const container = await containerOf("alpha");
    expect(container.Id).not.toBe(live.alpha.id);
    expect(container.Config.Labels?.[LABEL.commit]).toBe(commit);
    expect((await httpGet(url("alpha"))).body).toContain(marker("alpha", "v2"));
    // The old container is gone, not left beside the new one.
    expect(await docker.listContainers({ all: true, filters: { id: [live.alpha.id] } })).toEqual([]);

    await expectUnchanged("beta", result);
    live.alpha = await snapshot("alpha");
  });

  it("an environment-only change recreates the container without a build", async () => {
    await writeProjectManifest({ betaEnvironment: { MODE: "two" } });
    const result = await deploy("alpha,beta");
    expectExit(result, 0);

    const status = await logs.status("beta");
    expect(status.state, result.output).toBe("succeeded");
    expect(status.image).toBe(live.beta.image);
    const container = await containerOf("beta");
    expect(container.Id).not.toBe(live.beta.id);
    expect(container.Config.Image).toBe(live.beta.image);
    expect(container.Config.Env).toContain("MODE=two");
    expect(container.Config.Env).not.toContain("MODE=one");
    expect(buildStepLines(lastRunSection(await logs.log("beta")))).toEqual([]);
    expect((await httpGet(url("beta"))).body).toContain(marker("beta", "v1"));

    await expectUnchanged("alpha", result);
    live.beta = await snapshot("beta");
  });
});

describe("a failed deploy leaves the previous version serving", () => {
  /** alpha still serves v2 from the same container; beta was not touched. */
  async function expectPreviousServes(result: CliResult): Promise<StatusRecord> {
    expectExit(result, 1);
    const response = await httpGet(url("alpha"));
    expect(response.status, result.output).toBe(200);
    expect(response.body, result.output).toContain(marker("alpha", "v2"));
    const container = await containerOf("alpha");
    expect(container.Id, result.output).toBe(live.alpha.id);
    expect(container.State.Running).toBe(true);
    expect(container.Config.Image).toBe(live.alpha.image);
    // Nothing is left aside or half-made under the service's name.
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.project}=${project}`, `${LABEL.service}=alpha`] },
    });
    expect(left.map((c) => c.Id)).toEqual([live.alpha.id]);
    await expectUnchanged("beta", result);
    const last = await logs.lastRun();
    expect(last.exit_code).toBe(1);
    return logs.status("alpha");
  }

  function expectRolledBack(status: StatusRecord): void {
    expect(status.state).toBe("rolled_back");
    expect(status.previous_image).toBe(live.alpha.image);
    expect(status.live_image).toBe(live.alpha.image);
    expect(status.live_commit).toBe(live.alpha.status.commit);
    expect(status.container_id && live.alpha.id.startsWith(status.container_id)).toBe(true);
  }

  it("a commit whose build fails: failed in phase build, the running container untouched", async () => {
    await repos.alpha.commit(failingBuildService(marker("alpha", "broken")), "broken build");
    const result = await deploy("alpha,beta");
    const status = await expectPreviousServes(result);
    expect(status.state).toBe("failed");
    expect(status.error?.phase).toBe("build");
    // Not even restarted.
    expect((await containerOf("alpha")).State.StartedAt).toBe(live.alpha.startedAt);
  });

  it("a commit whose container crashes: rolled back", async () => {
    await repos.alpha.commit(crashingService(marker("alpha", "crash")), "crashes");
    const result = await deploy("alpha,beta");
    const status = await expectPreviousServes(result);
    expectRolledBack(status);
    expect(["health", "deploy"]).toContain(status.error?.phase);
    expect(status.error?.message).toMatch(/exit|crash/i);
  });

  it("a commit whose /health answers 404: rolled back", async () => {
    await removeFromRepo(repos.alpha.dir, "www/health");
    await repos.alpha.commit(noHealthService(marker("alpha", "no-health")), "no health");
    const result = await deploy("alpha,beta");
    const status = await expectPreviousServes(result);
    expectRolledBack(status);
    expect(status.error?.phase).toBe("health");
    expect(status.error?.message).toContain("404");
  });

  it("a manifest change that publishes a host port already taken: rolled back", async () => {
    // Back to a good commit (the same files as the running v2), so only the port can fail.
    await repos.alpha.commit(httpService(marker("alpha", "v2")), "good again");
    takenPortServer = await holdPort(ports.taken);
    await writeProjectManifest({
      betaEnvironment: { MODE: "two" },
      alphaPorts: [`127.0.0.1:${ports.taken}:8080`],
    });
    try {
      const result = await deploy("alpha,beta");
      const status = await expectPreviousServes(result);
      expectRolledBack(status);
      expect(status.error?.phase).toBe("deploy");
      expect(status.error?.message).toMatch(new RegExp(`${ports.taken}|allocated|in use`));
      // The previous container, put back on its own (old) port, serves again: the re-check after the rollback
      // must probe what that container publishes, not the port of the rejected configuration.
      expect(status.error?.message).not.toMatch(/did not pass the health gate/);
    } finally {
      await writeProjectManifest({ betaEnvironment: { MODE: "two" } });
    }
  });
});

describe("deploy rollback", () => {
  let commitA: string;
  let commitB: string;

  it("deploys gamma at commit A, then at commit B", async () => {
    commitA = await repos.gamma.head();
    expectExit(await deploy("gamma"), 0);
    expect((await httpGet(url("gamma"))).body).toContain(marker("gamma", "A"));
    commitB = await repos.gamma.commit(httpService(marker("gamma", "B")), "gamma B");
    expectExit(await deploy("gamma"), 0);
    expect((await httpGet(url("gamma"))).body).toContain(marker("gamma", "B"));
    expect((await logs.status("gamma")).image).toBe(imageTag(project, "gamma", commitB));
  });

  it("puts the previous image back", async () => {
    const before = (await containerOf("gamma")).Id;
    const result = await deploy("rollback", "gamma");
    expectExit(result, 0);
    expect((await httpGet(url("gamma"))).body).toContain(marker("gamma", "A"));
    const status = await logs.status("gamma");
    expect(status).toMatchObject({
      state: "succeeded",
      image: imageTag(project, "gamma", commitA),
      live_image: imageTag(project, "gamma", commitA),
      live_commit: commitA,
      previous_image: imageTag(project, "gamma", commitB),
      error: null,
    });
    const container = await containerOf("gamma");
    expect(container.Id).not.toBe(before);
    expect(container.Config.Image).toBe(imageTag(project, "gamma", commitA));
    // Nothing was fetched or built: the image already existed.
    expect(buildStepLines(lastRunSection(await logs.log("gamma")))).toEqual([]);
  });

  it("--to puts a named image back", async () => {
    const tagB = imageTag(project, "gamma", commitB);
    const result = await deploy("rollback", "gamma", "--to", tagB);
    expectExit(result, 0);
    expect((await httpGet(url("gamma"))).body).toContain(marker("gamma", "B"));
    expect(await logs.status("gamma")).toMatchObject({ state: "succeeded", image: tagB, live_image: tagB });
    expect((await containerOf("gamma")).Config.Image).toBe(tagB);
  });
});

describe("image retention", () => {
  it("keeps the last keep_images images of a service, the running one among them", async () => {
    expectExit(await deploy("keeper"), 0);
    for (const version of ["2", "3", "4"]) {
      await repos.keeper.commit(httpService(marker("keeper", version)), `keeper ${version}`);
      expectExit(await deploy("keeper"), 0);
    }
    expect((await httpGet(url("keeper"))).body).toContain(marker("keeper", "4"));
    const images = await docker.listImages({
      filters: { label: [`${LABEL.project}=${project}`, `${LABEL.service}=keeper`] },
    });
    const tags = images.flatMap((image) => image.RepoTags ?? []);
    expect(images.length, tags.join(", ")).toBe(2);
    const running = (await containerOf("keeper")).Config.Image;
    expect(running).toBe(imageTag(project, "keeper", await repos.keeper.head()));
    expect(tags).toContain(running);
  });
});

describe("the project lock", () => {
  it("refuses a second deploy while one runs, naming the holder; the first one finishes", async () => {
    const alphaBefore = await logs.statusText("alpha");
    const first = startCli(["slow"], { cwd, env });
    const building = await waitForState(logs, "slow", "building", first);

    const started = Date.now();
    const second = await deploy("alpha");
    const elapsed = Date.now() - started;
    expectExit(second, 3);
    expect(elapsed, second.output).toBeLessThan(10_000);
    expect(second.stderr, second.output).toContain(`locked by run ${building.run_id}`);
    // Nothing was touched by the refused run.
    expect(await logs.statusText("alpha")).toBe(alphaBefore);

    const result = await first.done;
    expectExit(result, 0);
    expect(await logs.status("slow")).toMatchObject({ run_id: building.run_id, state: "succeeded" });
    expect((await httpGet(url("slow"))).body).toContain(marker("slow", "v1"));
    expect((await logs.lastRun()).run_id).toBe(building.run_id);
  });

  it("two deploys of different services (a CI matrix): with --lock-wait the second waits its turn, both succeed", async () => {
    await repos.slow.commit(
      httpService(marker("slow", "v2"), [`RUN echo "slow build ${nonce} v2" && sleep 6`]),
      "slow v2",
    );
    const first = startCli(["slow"], { cwd, env });
    const building = await waitForState(logs, "slow", "building", first);
    const second = await deploy("beta", "--lock-wait", "2m", "--force-rebuild");
    const firstResult = await first.done;
    expectExit(firstResult, 0);
    expectExit(second, 0);
    expect(second.stderr, second.output).toMatch(/waiting/i);
    const beta = await logs.status("beta");
    expect(beta.state).toBe("succeeded");
    // The second run started only once the first had let go of the lock.
    const slow = await logs.status("slow");
    expect(slow.run_id).toBe(building.run_id);
    expect(Date.parse(beta.started_at)).toBeGreaterThanOrEqual(Date.parse(slow.finished_at ?? ""));
    expect((await httpGet(url("slow"))).body).toContain(marker("slow", "v2"));
  });

  it("is released at the end: `deploy unlock` finds nothing to remove", async () => {
    const result = await deploy("unlock");
    expectExit(result, 0);
    expect(result.stdout, result.output).toMatch(/this machine: not locked/);
    expect(result.stdout, result.output).toMatch(/host local: not locked/);
    expect(result.stdout, result.output).not.toMatch(/removed lock/);
  });
});
