#!/usr/bin/env node
/**
 * Zero-downtime cutover, measured: failed requests while a service is replaced (`deploy <svc> main
 * --force-rebuild`), three clients each asking every 30 ms on a new connection with no retry, behind the proxy
 * and without it, for a service that boots in 3 s and for one whose PID 1 ignores SIGTERM; the replace time of
 * the SIGTERM-ignoring image with and without `init: true`; and the latency the proxy adds (p50/p99 of
 * keep-alive requests through it against the same container asked directly). See bench/README.md.
 *
 *   node bench/proxy.mjs     (after scripts/setup.sh and scripts/proxy-image.sh)
 */
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { stringify } from "yaml";
import { CLI, ID, log, ROOT, RUNS_DIR } from "./lib/context.mjs";
import { docker, removeToolProject } from "./lib/engine.mjs";
import { commit, makeRepo } from "./lib/fixtures.mjs";

const exec = promisify(execFile);
const PORT = 28301;
const TEST_HOST = join(ROOT, "scripts", "test-host.sh");
const HOST_NAME = "benchssh";
const project = `bench-proxy-${ID}`;

/** Boots in 3 s (like a JVM or a big Node app), then serves; SIGTERM stops it at once. */
const SLOW_BOOT = 'CMD ["sh", "-c", "trap \'exit 0\' TERM; sleep 3 & wait; httpd -f -p 8080 -h /www & wait"]';
/** busybox httpd as PID 1: ignores SIGTERM, so a stop waits out the grace period. */
const IGNORES_TERM = 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]';

function files(cmd, stamp) {
  return {
    Dockerfile: `FROM busybox:latest\nCOPY www/ /www/\n${cmd}\n`,
    "www/index.html": `${stamp}\n`,
    "www/health": "ok\n",
  };
}

function once(url, agent, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** scripts/http-probe.cjs: three clients every 30 ms, a new connection each, no retries; in `netns` if given. */
function probe(url, netns) {
  const argv = [process.execPath, join(ROOT, "scripts", "http-probe.cjs"), url];
  const child = netns ? spawn("nsenter", [`--net=${netns}`, ...argv]) : spawn(argv[0], argv.slice(1));
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
  });
  const ended = new Promise((resolve) => child.on("exit", resolve));
  return async () => {
    child.kill("SIGTERM");
    await ended;
    return JSON.parse(out);
  };
}

async function deploy(dir, ...args) {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args, "--output", "quiet"], { cwd: dir, stdio: "inherit" });
  const code = await new Promise((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`deploy ${args.join(" ")} exited ${code}`);
  return Date.now() - started;
}

async function manifest(dir, service, hosts) {
  await writeFile(
    join(dir, "services.yaml"),
    stringify({ version: 1, project, ...(hosts ? { hosts } : {}), services: { web: service } }),
  );
}

/**
 * Failed requests during a forced redeploy of `cmd`, behind the proxy or not; on the SSH test host `remote`
 * when given (the deploy goes over SSH, the probe runs in its namespace).
 */
async function outage(dir, repo, cmd, proxied, remote) {
  await removeToolProject(project);
  await commit(repo, files(cmd, `${Date.now()}`));
  await manifest(
    dir,
    {
      repo,
      ports: [`127.0.0.1:${PORT}:8080`],
      ...(proxied ? { proxy: true } : {}),
      ...(remote ? { host: "remote" } : {}),
      health: { path: "/health", interval: "100ms", timeout: "30s" },
    },
    remote ? { remote: remote.entry } : undefined,
  );
  await deploy(dir, "web", "main"); // returns once the published port answers
  const stop = probe(`http://127.0.0.1:${PORT}/`, remote?.netns);
  await new Promise((r) => setTimeout(r, 500));
  const ms = await deploy(dir, "web", "main", "--force-rebuild");
  await new Promise((r) => setTimeout(r, 500));
  return { ...(await stop()), deploy_ms: ms };
}

/** Replace time (a recreate after a configuration change, no build) of the SIGTERM-ignoring image. */
async function stopTime(dir, repo, init) {
  await removeToolProject(project);
  await commit(repo, files(IGNORES_TERM, `${Date.now()}`));
  const service = (mode) => ({
    repo,
    ports: [`127.0.0.1:${PORT}:8080`],
    environment: { MODE: mode },
    ...(init ? { init: true } : {}),
    health: { path: "/health", interval: "100ms", timeout: "30s" },
  });
  await manifest(dir, service("a"));
  await deploy(dir, "web", "main");
  await manifest(dir, service("b"));
  return deploy(dir, "web", "main");
}

/** The stand-in SSH host of the tests, with the proxy image copied into its engine. */
async function sshTestHost() {
  await exec("bash", [TEST_HOST, "up", HOST_NAME]);
  const host = JSON.parse(await readFile(`/tmp/deploy-test-host/${HOST_NAME}/host.json`, "utf8"));
  const remoteDocker = new Docker({ socketPath: host.dockerSocket });
  const loaded = await remoteDocker.loadImage(await docker.getImage("caddy:2").get());
  await new Promise((resolve, reject) => loaded.on("end", resolve).on("error", reject).resume());
  return {
    netns: host.netns,
    entry: {
      ssh: `${host.user}@${host.address}:${host.sshPort}`,
      identity_file: host.identityFile,
      known_hosts: host.knownHostsFile,
      docker_socket: host.dockerSocket,
    },
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latency(url, count = 3000) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 200; i++) await once(url, agent); // warm-up
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await once(url, agent);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function main() {
  await exec("bash", [join(ROOT, "scripts/proxy-image.sh")]);
  const tmp = await mkdtemp(join(tmpdir(), "deploy-bench-proxy-"));
  const dir = join(tmp, "project");
  await mkdir(dir);
  const repo = await makeRepo(join(tmp, "repo"), files(SLOW_BOOT, "0"));
  const results = {};
  let hostUp = false;
  try {
    for (const [name, cmd] of [
      ["boots in 3 s", SLOW_BOOT],
      ["ignores SIGTERM", IGNORES_TERM],
    ]) {
      for (const proxied of [false, true]) {
        log(`outage: ${name}, ${proxied ? "behind the proxy" : "own port"}`);
        results[`${name}, ${proxied ? "proxy" : "no proxy"}`] = await outage(dir, repo, cmd, proxied);
      }
    }
    log(`outage on an SSH host (${TEST_HOST} up ${HOST_NAME})`);
    hostUp = true;
    const remote = await sshTestHost();
    for (const proxied of [false, true]) {
      results[`SSH host, boots in 3 s, ${proxied ? "proxy" : "no proxy"}`] = await outage(
        dir,
        repo,
        SLOW_BOOT,
        proxied,
        remote,
      );
    }
    log("stop time of the SIGTERM-ignoring image, without and with init");
    results.replace_ms_without_init = await stopTime(dir, repo, false);
    results.replace_ms_with_init = await stopTime(dir, repo, true);

    log("latency: through the proxy against the container directly");
    await removeToolProject(project);
    await commit(repo, files(IGNORES_TERM, "latency"));
    await manifest(dir, {
      repo,
      ports: [`127.0.0.1:${PORT}:8080`],
      proxy: true,
      health: { path: "/health" },
    });
    await deploy(dir, "web", "main");
    const web = await docker.getContainer(`${project}-web`).inspect();
    const address = web.NetworkSettings.Networks[`${project}-proxy`].IPAddress;
    const direct = await latency(`http://${address}:8080/`);
    const proxied = await latency(`http://127.0.0.1:${PORT}/`);
    results.latency_ms = { direct, proxied, added_p50: proxied.p50 - direct.p50 };
  } finally {
    await removeToolProject(project);
    if (hostUp)
      await exec("bash", [TEST_HOST, "down", HOST_NAME]).catch((error) => log(`down: ${error.message}`));
    await rm(tmp, { recursive: true, force: true });
  }

  console.log("\nfailed requests during a forced redeploy (3 clients, every 30 ms, no retries)");
  for (const [key, value] of Object.entries(results)) {
    if (value && typeof value === "object" && "failed" in value) {
      console.log(
        `  ${key.padEnd(34)} ${String(value.failed).padStart(4)} failed of ${value.ok + value.failed}  (deploy ${(value.deploy_ms / 1000).toFixed(1)} s)${value.errors.length > 0 ? `  first: ${value.errors.join("; ")}` : ""}`,
      );
    }
  }
  console.log(
    `\nreplace of the SIGTERM-ignoring image: ${(results.replace_ms_without_init / 1000).toFixed(1)} s without init, ${(results.replace_ms_with_init / 1000).toFixed(1)} s with init: true`,
  );
  const { direct, proxied, added_p50 } = results.latency_ms;
  console.log(
    `latency, keep-alive: direct p50 ${direct.p50.toFixed(3)} ms p99 ${direct.p99.toFixed(3)} ms; through the proxy p50 ${proxied.p50.toFixed(3)} ms p99 ${proxied.p99.toFixed(3)} ms; added at p50 ${added_p50.toFixed(3)} ms (target < 1 ms: ${added_p50 < 1 ? "met" : "NOT MET"})`,
  );
  await mkdir(RUNS_DIR, { recursive: true });
  await writeFile(
    join(RUNS_DIR, `proxy-${new Date().toISOString().replace(/[-:.]/g, "")}.json`),
    `${JSON.stringify(results, null, 2)}\n`,
  );
}

main().catch((error) => {
  console.error(`bench/proxy: ${error.stack ?? error}`);
  process.exit(1);
});
