import { execFile } from "node:child_process";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, waitFor, waitForState } from "./support/background.js";
import { type CliResult, REPO_ROOT, runCli } from "./support/cli.js";
import {
  cleanupProject,
  docker,
  findContainer,
  freePort,
  httpGet,
  inspectContainer,
} from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { type Files, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";
import { type ProbeResult, startProbe } from "./support/probe.js";

const exec = promisify(execFile);

/**
 * Zero-downtime cutover behind a real Caddy (tracker issue 17). `web` boots in 2 s and its PID 1 ignores SIGTERM
 * (busybox httpd): without the proxy each replace would be an outage as long as its boot. Three clients ask every
 * 30 ms through every deploy, rollback and failure below, and not one request may fail.
 */
const project = projectName("e2e-proxy");
const workspace = new Workspace();
let repo: Repo;
let apiRepo: Repo;
let port: number;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
const url = () => `http://127.0.0.1:${port}/`;

function slowService(version: string, health = true): Files {
  return {
    Dockerfile: [
      "FROM busybox:latest",
      "COPY www/ /www/",
      ...(health ? [] : ["RUN rm /www/health"]),
      'CMD ["sh", "-c", "sleep 2; exec httpd -f -p 8080 -h /www"]',
      "",
    ].join("\n"),
    "www/index.html": `${project} ${version}\n`,
    "www/health": "ok\n",
  };
}

async function writeProjectManifest(options: { proxy?: boolean; named?: boolean } = {}): Promise<void> {
  const api = {
    repo: apiRepo.dir,
    proxy: { host: "api.test", tls: "internal", port: 8080 },
    health: { running: "1s" },
  };
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults({ health: { path: "/health", interval: "200ms", timeout: "8s" } }),
    services: {
      web: {
        repo: repo.dir,
        ports: [`127.0.0.1:${port}:8080`],
        ...(options.proxy === false ? {} : { proxy: true }),
        stop_grace_period: "1s",
      },
      ...(options.named ? { api } : {}),
    },
  });
}

async function deploy(...args: string[]): Promise<CliResult> {
  return runCli(args, { cwd, env });
}

/** Runs `work` while three clients probe the service; what they saw. */
async function probed(work: () => Promise<unknown>): Promise<ProbeResult> {
  const probe = startProbe(url());
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
  await settle();
  try {
    await work();
    await settle();
  } catch (error) {
    await probe.stop();
    throw error;
  }
  return probe.stop();
}

function expectNoFailure(result: ProbeResult, output: string): void {
  expect(result.failed, `${result.errors.join("; ")}\n${output}`).toBe(0);
  expect(result.ok).toBeGreaterThan(20);
}

async function webContainers(): Promise<string[]> {
  const listed = await docker.listContainers({ all: true, filters: { name: [`^/${project}-web`] } });
  return listed
    .map((container) => (container.Names[0] ?? "").slice(1))
    .filter((name) => !name.includes("-release-"))
    .sort();
}

beforeAll(async () => {
  await exec("bash", [join(REPO_ROOT, "scripts/proxy-image.sh")]);
  repo = await makeRepo(slowService("v1"));
  apiRepo = await makeRepo({
    Dockerfile:
      'FROM busybox:latest\nRUN mkdir -p /www && echo api > /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
  });
  port = await freePort();
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await writeProjectManifest();
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([repo.remove(), apiRepo.remove(), workspace.cleanup()]);
});

describe("behind the proxy", () => {
  it("a first deploy: the proxy publishes the port, the container none", async () => {
    const result = await deploy("web");
    expectExit(result, 0);
    expect((await httpGet(url())).body).toContain(`${project} v1`);
    const web = await inspectContainer(`${project}-web`);
    expect(web.HostConfig.PortBindings ?? {}).toEqual({});
    const proxy = await inspectContainer(`${project}-proxy`);
    expect(proxy.Config.Image).toBe("caddy:2");
    expect(proxy.HostConfig.PortBindings?.[`${port}/tcp`]).toEqual([
      { HostIp: "127.0.0.1", HostPort: String(port) },
    ]);
    expect(proxy.HostConfig.RestartPolicy?.Name).toBe("unless-stopped");
    // The admin API is on the proxy's own loopback: nothing publishes 2019.
    expect(Object.keys(proxy.HostConfig.PortBindings ?? {})).not.toContain("2019/tcp");
  });

  it("a new commit: not one request fails, and the old container is gone", async () => {
    const before = (await inspectContainer(`${project}-web`)).Id;
    await repo.commit(slowService("v2"), "v2");
    let result: CliResult | undefined;
    const seen = await probed(async () => {
      result = await deploy("web");
    });
    expectExit(result as CliResult, 0);
    expectNoFailure(seen, result?.output ?? "");
    expect(seen.bodies).toEqual([`${project} v1`, `${project} v2`]);
    expect(await logs.status("web")).toMatchObject({ state: "succeeded", downtime_ms: 0 });
    expect(await findContainer(before)).toBeNull();
    expect(await webContainers()).toEqual([`${project}-web`]);
  });

  it("a commit that fails its gate never touches the proxy: v2 serves throughout", async () => {
    await repo.branch("broken", slowService("broken", false));
    let result: CliResult | undefined;
    const seen = await probed(async () => {
      result = await deploy("web", "broken");
    });
    expectExit(result as CliResult, 1);
    expectNoFailure(seen, result?.output ?? "");
    expect(seen.bodies).toEqual([`${project} v2`]);
    expect(await logs.status("web")).toMatchObject({ state: "rolled_back", error: { phase: "health" } });
    expect(await webContainers()).toEqual([`${project}-web`]);
  });

  it("`rollback` takes the same path: v1 again without a failed request", async () => {
    let result: CliResult | undefined;
    const seen = await probed(async () => {
      result = await deploy("rollback", "web");
    });
    expectExit(result as CliResult, 0);
    expectNoFailure(seen, result?.output ?? "");
    expect(seen.bodies).toEqual([`${project} v2`, `${project} v1`]);
  });

  it("Ctrl-C during the new container's gate: the old one keeps serving, nothing is left behind", async () => {
    await repo.commit(slowService("v3"), "v3");
    const seen = await probed(async () => {
      const cli = startCli(["web"], { cwd, env });
      await waitForState(logs, "web", "checking", cli);
      cli.child.kill("SIGINT");
      expectExit(await cli.done, 130);
    });
    expectNoFailure(seen, "");
    expect(seen.bodies).toEqual([`${project} v1`]);
    expect(await webContainers()).toEqual([`${project}-web`]);
  });

  it("the proxy survives a restart of its container with the right upstream, no deploy needed", async () => {
    await docker.getContainer(`${project}-proxy`).restart({ t: 1 });
    const body = await waitFor(async () => (await httpGet(url())).body, {
      what: () => "the proxy to answer",
    });
    expect(body).toContain(`${project} v1`);
    const status = await deploy("status", "web", "--json");
    expectExit(status, 0);
    expect(JSON.parse(status.stdout)[0].proxy).toMatchObject({
      running: true,
      image: "caddy:2",
      routes: [`127.0.0.1:${port} → web:8080`],
    });
  });

  it("`status` reports the proxy down", async () => {
    await docker.getContainer(`${project}-proxy`).stop({ t: 1 });
    const status = await deploy("status", "web");
    expectExit(status, 1);
    expect(status.stdout).toMatch(/proxy not running/);
    expect(status.stdout).toMatch(new RegExp(`proxy ${project}-proxy on host local: DOWN`));
    // A deploy brings it back.
    expectExit(await deploy("web"), 0);
    expect((await httpGet(url())).body).toContain(`${project} v3`);
  });
});

describe("moving on and off the proxy", () => {
  it("off: the container publishes its port again, the proxy lets go of it", async () => {
    await writeProjectManifest({ proxy: false });
    const result = await deploy("web");
    expectExit(result, 0);
    const web = await inspectContainer(`${project}-web`);
    expect(web.HostConfig.PortBindings?.["8080/tcp"]).toEqual([
      { HostIp: "127.0.0.1", HostPort: String(port) },
    ]);
    expect((await httpGet(url())).body).toContain(`${project} v3`);
    const proxy = await findContainer(`${project}-proxy`);
    expect(proxy?.HostConfig.PortBindings?.[`${port}/tcp`]).toBeUndefined();
  });

  it("on again, with a short gap the status file measures", async () => {
    await writeProjectManifest();
    const result = await deploy("web");
    expectExit(result, 0);
    expect((await httpGet(url())).body).toContain(`${project} v3`);
    const status = await logs.status("web");
    expect(status.state).toBe("succeeded");
    expect(status.downtime_ms).toEqual(expect.any(Number));
    expect((await inspectContainer(`${project}-web`)).HostConfig.PortBindings ?? {}).toEqual({});
  });
});

describe("routing by host name", () => {
  it("a second service by name over HTTPS from Caddy's internal CA, beside the published port", async () => {
    await writeProjectManifest({ named: true });
    const result = await deploy("all");
    expectExit(result, 0);
    const body = await waitFor(
      () =>
        new Promise<string>((resolve, reject) => {
          const req = httpsRequest(
            {
              host: "127.0.0.1",
              port: 443,
              servername: "api.test",
              headers: { host: "api.test" },
              rejectUnauthorized: false,
            },
            (res) => {
              let text = "";
              res.on("data", (chunk) => {
                text += chunk;
              });
              res.on("end", () =>
                res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode}`)),
              );
            },
          );
          req.on("error", reject);
          req.end();
        }),
      { what: () => "https://api.test through the proxy" },
    );
    expect(body.trim()).toBe("api");
    expect((await httpGet(url())).body).toContain(`${project} v3`);
  });
});
