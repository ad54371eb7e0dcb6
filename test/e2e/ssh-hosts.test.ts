import { execFile, execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/labels.js";
import { waitFor } from "./support/background.js";
import { REPO_ROOT, runCli } from "./support/cli.js";
import { cleanupProject, docker, findContainer, freePorts, httpGet } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService, inFolder, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";
import { startProbe } from "./support/probe.js";
import {
  acceptedLogins,
  cleanupRemoteProject,
  getInside,
  remoteDocker,
  sshHostEntry,
  type TestHost,
  testHostDown,
  testHostUp,
} from "./support/ssh-host.js";

/**
 * Deploys to a real sshd and a second Docker engine in a network namespace (scripts/test-host.sh): the
 * remote engine's published ports exist only inside the namespace, so a passing health gate proves the
 * probe went through the SSH connection.
 */
const exec = promisify(execFile);
const HOST_NAME = "e2essh";
const project = projectName("e2essh");
const workspace = new Workspace();
const SERVICES = ["web-local", "web-remote", "web-both", "web-fallback", "web-accept"] as const;
type Service = (typeof SERVICES)[number];

let host: TestHost;
let repo: Repo;
let env: Record<string, string>;
let ports: Record<Service, number>;

const service = (name: Service, target: Record<string, unknown>) => ({
  repo: repo.dir,
  context: name,
  ports: [`127.0.0.1:${ports[name]}:8080`],
  ...target,
});

/** A fresh folder with a manifest of `hosts` and `services`; its logs folder. */
async function manifestDir(hosts: Record<string, unknown>, services: Record<string, unknown>) {
  const cwd = await workspace.tempDir();
  await writeManifest(cwd, { version: 1, project, defaults: e2eDefaults(), hosts, services });
  return { cwd, logs: new LogsDir(join(cwd, "logs")) };
}

beforeAll(async () => {
  host = await testHostUp(HOST_NAME);
  const files = Object.assign(
    {},
    ...SERVICES.map((name) => inFolder(name, httpService(`${project} ${name}`))),
  );
  repo = await makeRepo(files);
  const free = await freePorts(SERVICES.length);
  ports = Object.fromEntries(SERVICES.map((name, i) => [name, free[i] as number])) as Record<Service, number>;
  env = await workspace.cliEnv();
});

afterAll(async () => {
  await cleanupProject(project);
  if (host) await cleanupRemoteProject(host, project).catch(() => undefined);
  await testHostDown(HOST_NAME);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

describe("SSH hosts", () => {
  it("deploys to local and to the SSH host in one run, over exactly one SSH connection", async () => {
    const { cwd, logs } = await manifestDir(
      { local: {}, remote: sshHostEntry(host) },
      {
        "web-local": service("web-local", { host: "local" }),
        "web-remote": service("web-remote", { host: "remote" }),
        "web-both": service("web-both", { hosts: ["local", "remote"] }),
      },
    );
    const loginsBefore = await acceptedLogins(host.sshdLog);
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 0);
    expect(await acceptedLogins(host.sshdLog), "SSH logins during the run").toBe(loginsBefore + 1);

    for (const [file, hostName] of [
      ["web-local", "local"],
      ["web-remote", "remote"],
      ["web-both@local", "local"],
      ["web-both@remote", "remote"],
    ] as const) {
      const status = await logs.status(file);
      expect(status, file).toMatchObject({
        state: "succeeded",
        host: hostName,
        error: null,
        health_gate: "http",
      });
    }

    // The remote services answer inside the namespace, and only there.
    expect(await getInside(host, `http://127.0.0.1:${ports["web-remote"]}/health`)).toBe("ok\n");
    expect(await getInside(host, `http://127.0.0.1:${ports["web-remote"]}/`)).toContain(
      `${project} web-remote`,
    );
    expect(await getInside(host, `http://127.0.0.1:${ports["web-both"]}/`)).toContain(`${project} web-both`);
    await expect(httpGet(`http://127.0.0.1:${ports["web-remote"]}/health`, 1000)).rejects.toThrow();
    expect((await httpGet(`http://127.0.0.1:${ports["web-local"]}/health`)).body).toBe("ok\n");
    expect((await httpGet(`http://127.0.0.1:${ports["web-both"]}/`)).body).toContain(`${project} web-both`);

    // Each container is on its own engine.
    const remote = await remoteDocker(host).listContainers({
      filters: { label: [`${LABEL.project}=${project}`] },
    });
    expect(remote.map((c) => c.Labels[LABEL.service]).sort()).toEqual(["web-both", "web-remote"]);
    expect(await findContainer(`${project}-web-remote`)).toBeNull();
    expect(await findContainer(`${project}-web-local`)).not.toBeNull();

    // status and logs reach the remote engine (and its health endpoint) through SSH too.
    const status = await runCli(["status", "--json"], { cwd, env });
    expectExit(status, 0);
    const rows = JSON.parse(status.stdout) as Array<{
      service: string;
      host: string;
      health: string;
      running: boolean;
    }>;
    expect(rows.map((row) => [row.service, row.host, row.health])).toEqual([
      ["web-local", "local", "healthy"],
      ["web-remote", "remote", "healthy"],
      ["web-both", "local", "healthy"],
      ["web-both", "remote", "healthy"],
    ]);
    await getInside(host, `http://127.0.0.1:${ports["web-remote"]}/`);
    const remoteLogs = await runCli(["logs", "web-remote", "--tail", "3"], { cwd, env });
    expectExit(remoteLogs, 0);
    expect(remoteLogs.stdout).toMatch(/response:200/);
    const both = await runCli(["logs", "web-both"], { cwd, env });
    expectExit(both, 2);
    expect(both.stderr).toContain("pick one with --host");
    expectExit(await runCli(["logs", "web-both", "--host", "remote", "--run"], { cwd, env }), 0);
  });

  it("fails only the services of a host with a wrong host key, a closed port or a refused key", async () => {
    const wrongKnownHosts = join(await workspace.tempDir(), "known_hosts");
    const stranger = (await readFile(`${host.strangerIdentityFile}.pub`, "utf8"))
      .split(" ")
      .slice(0, 2)
      .join(" ");
    await writeFile(wrongKnownHosts, `${host.address} ${stranger}\n`);
    const { cwd, logs } = await manifestDir(
      {
        local: {},
        remote: sshHostEntry(host),
        "changed-key": sshHostEntry(host, { known_hosts: wrongKnownHosts }),
        "closed-port": sshHostEntry(host, { ssh: `${host.user}@${host.address}:2201` }),
        "refused-key": sshHostEntry(host, { identity_file: host.strangerIdentityFile }),
      },
      {
        "web-local": service("web-local", { host: "local" }),
        "web-remote": service("web-remote", { host: "remote" }),
        "on-changed-key": service("web-remote", { host: "changed-key" }),
        "on-closed-port": service("web-remote", { host: "closed-port" }),
        "on-refused-key": service("web-remote", { host: "refused-key" }),
      },
    );
    const loginsBefore = await acceptedLogins(host.sshdLog);
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 1);
    expect(await acceptedLogins(host.sshdLog)).toBe(loginsBefore + 1);

    // The healthy hosts' services are done (unchanged since the first test: nothing to do).
    for (const name of ["web-local", "web-remote"]) {
      expect((await logs.status(name)).state, name).toMatch(/^(succeeded|unchanged)$/);
    }
    const at = `ssh root@${host.address.replaceAll(".", "\\.")}`;
    const failures = {
      "on-changed-key": new RegExp(
        `^cannot reach host changed-key: ${at}:22: host key mismatch: expected SHA256:\\S+ \\(ssh-ed25519, .*known_hosts:1\\), got SHA256:\\S+ \\(ssh-ed25519\\)`,
      ),
      "on-closed-port": new RegExp(`^cannot reach host closed-port: ${at}:2201: connection refused`),
      "on-refused-key": new RegExp(
        `^cannot reach host refused-key: ${at}:22: authentication refused for user root \\(tried the key ${host.strangerIdentityFile}\\)`,
      ),
    };
    for (const [name, message] of Object.entries(failures)) {
      const status = await logs.status(name);
      expect(status.state, name).toBe("failed");
      expect(status.error?.phase, name).toBe("connect");
      expect(status.error?.message, name).toMatch(message);
    }
    // The changed key is named by both fingerprints, the expected one being the stranger key's.
    const listed = execFileSync("ssh-keygen", ["-l", "-f", `${host.strangerIdentityFile}.pub`], {
      encoding: "utf8",
    });
    expect((await logs.status("on-changed-key")).error?.message).toContain(
      `expected ${listed.split(" ")[1]} `,
    );
  });

  it("accept-new records the key of a host missing from known_hosts", async () => {
    const knownHosts = join(await workspace.tempDir(), "known_hosts");
    await writeFile(knownHosts, "");
    const { cwd, logs } = await manifestDir(
      { remote: sshHostEntry(host, { known_hosts: knownHosts, host_key_policy: "accept-new" }) },
      { "web-accept": service("web-accept", { host: "remote" }) },
    );
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 0);
    expect((await logs.status("web-accept")).state).toBe("succeeded");
    expect(await readFile(knownHosts, "utf8")).toBe(`${host.address} ${host.hostKey}\n`);
  });

  it("falls back to docker system dial-stdio where sshd refuses stream-local forwarding", async () => {
    const { cwd, logs } = await manifestDir(
      { remote: sshHostEntry(host, { ssh: `${host.user}@${host.address}:${host.noForwardingPort}` }) },
      { "web-fallback": service("web-fallback", { host: "remote" }) },
    );
    const loginsBefore = await acceptedLogins(host.noForwardingSshdLog);
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 0);
    expect((await logs.status("web-fallback")).state).toBe("succeeded");
    expect(await acceptedLogins(host.noForwardingSshdLog)).toBe(loginsBefore + 1);
    expect(await getInside(host, `http://127.0.0.1:${ports["web-fallback"]}/health`)).toBe("ok\n");
  });
});

describe("the proxy on an SSH host", () => {
  let url = "";

  it("replaces a service behind it with no failed request, Caddy switched over the run's SSH connection", async () => {
    await exec("bash", [join(REPO_ROOT, "scripts/proxy-image.sh")]);
    const loaded = await remoteDocker(host).loadImage(await docker.getImage("caddy:2").get());
    await new Promise((resolve, reject) => {
      loaded.on("end", resolve).on("error", reject).resume();
    });
    const [port] = await freePorts(1);
    const { cwd } = await manifestDir(
      { remote: sshHostEntry(host) },
      {
        "web-remote": {
          ...service("web-remote", { host: "remote" }),
          ports: [`127.0.0.1:${port}:8080`],
          proxy: true,
        },
      },
    );
    expectExit(await runCli(["web-remote"], { cwd, env }), 0);
    url = `http://127.0.0.1:${port}/`;
    expect(await getInside(host, url)).toContain(`${project} web-remote`);

    const probe = startProbe(url, host.netns);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await runCli(["web-remote", "--force-rebuild"], { cwd, env });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const seen = await probe.stop();
    expectExit(result, 0);
    expect(seen.failed, `${seen.errors.join("; ")}\n${result.output}`).toBe(0);
    expect(seen.ok).toBeGreaterThan(20);
    expect(result.output).toMatch(/proxy .*-proxy reloaded: web-remote now served by/);
  });

  it("serves the live container again after the host's engine restarts, with no deploy", async () => {
    const before = await remoteDocker(host).getContainer(`${project}-web-remote`).inspect();
    await exec("bash", [join(REPO_ROOT, "scripts/test-host.sh"), "restart-engine", HOST_NAME]);
    const body = await waitFor(() => getInside(host, url), {
      what: () => `${url} inside the host after the restart`,
    });
    expect(body).toContain(`${project} web-remote`);
    // The same container: the proxy was rebuilt from what it kept, not by a deploy.
    const after = await remoteDocker(host).getContainer(`${project}-web-remote`).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt);
  });
});
