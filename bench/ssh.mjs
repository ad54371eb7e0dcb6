#!/usr/bin/env node
/**
 * What an SSH host costs, measured against the local socket in one run on this machine (issue #5).
 *
 *   node bench/ssh.mjs        (as root, after scripts/setup.sh and `npm run build`; needs openssh-server)
 *
 * 1. Per request: REQUESTS sequential engine `ping`s and `info`s over the SSH connection (one connection,
 *    keep-alive channels), against the same calls on this machine's engine socket and, to isolate the SSH
 *    leg, directly on the test host's engine socket. Also the connection set-up and a burst of concurrent calls.
 * 2. A deploy: the same six tiny busybox services (throwaway repos), all to the SSH host and all to the local
 *    engine, cold (a fresh commit each round, so no build cache), then a no-op rerun; rounds interleaved.
 *    Target: SSH cold deploy ≤ 1.3 × local.
 *
 * It brings up its own stand-in remote host (scripts/test-host.sh up benchssh: a network namespace with its
 * own dockerd and sshd) and removes it at the end, with everything else it made, also on failure or Ctrl-C.
 * Figures are printed and written to bench/results/runs/ssh.json (not committed; bench/results/ssh-reference.json
 * is the reference run). Env: BENCH_ROUNDS (deploy rounds, default 3),
 * BENCH_REQUESTS (per-request samples, default 50).
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Docker from "dockerode";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist", "cli.js");
const TEST_HOST = join(ROOT, "scripts", "test-host.sh");
const HOST_NAME = "benchssh";
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3) || 3);
const REQUESTS = Math.max(5, Number(process.env.BENCH_REQUESTS ?? 50) || 50);
const BURST = 40;
const SERVICES = 6;
const TARGET = 1.3;
const ID = randomBytes(3).toString("hex");
const PROJECTS = { local: `bench-sshlocal-${ID}`, ssh: `bench-sshremote-${ID}` };
const PORT_BASE = { local: 28400, ssh: 28410 };

const say = (line) => process.stderr.write(`bench/ssh: ${line}\n`);
const round2 = (value) => Math.round(value * 100) / 100;
const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const temps = [];
let hostUp = false;
let localDocker;
let remoteDocker;
let labels;

/**
 * The tool's SSH connection and its labels, bundled from src/ by esbuild: the built CLI is one bundle with no
 * entry for them. The bundle goes under node_modules/.cache, where its imports of dependencies resolve.
 */
async function loadFromSource() {
  const { build } = await import("esbuild");
  const outdir = join(ROOT, "node_modules", ".cache", "deploy-bench-ssh");
  await build({
    entryPoints: { connect: join(ROOT, "src/hosts/ssh/connect.ts"), labels: join(ROOT, "src/labels.ts") },
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outdir,
    outExtension: { ".js": ".mjs" },
    logLevel: "error",
  });
  const [connect, { LABEL }] = await Promise.all([
    import(join(outdir, "connect.mjs")),
    import(join(outdir, "labels.mjs")),
  ]);
  return { connectSsh: connect.connectSsh, SSH_DEFAULTS: connect.SSH_DEFAULTS, LABEL };
}

async function main() {
  if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` first");
  const { connectSsh, SSH_DEFAULTS, LABEL } = await loadFromSource();
  labels = LABEL;
  localDocker = new Docker();
  await localDocker.ping().catch((error) => {
    throw new Error(`no local Docker engine answers (${error.message}): run scripts/setup.sh`);
  });

  say(`bringing up the test host (${TEST_HOST} up ${HOST_NAME})`);
  hostUp = true;
  await exec("bash", [TEST_HOST, "up", HOST_NAME]);
  const host = JSON.parse(await readFile(`/tmp/deploy-test-host/${HOST_NAME}/host.json`, "utf8"));
  remoteDocker = new Docker({ socketPath: host.dockerSocket });
  const spec = {
    name: "remote",
    ssh: { user: host.user, host: host.address, port: host.sshPort },
    identityFile: host.identityFile,
    knownHosts: host.knownHostsFile,
    hostKeyPolicy: "strict",
    dockerSocket: host.dockerSocket,
  };

  // 1. Per-request overhead.
  say(`per-request overhead: ${REQUESTS} × ping and info on each path`);
  const connectMs = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const connection = await connectSsh(spec);
    connectMs.push(performance.now() - started);
    await connection.close();
  }
  const connection = await connectSsh(spec);
  const requests = {};
  try {
    // The tool's engine client over SSH (its `cpus()` is GET /info), and dockerode on either engine's socket.
    const { engine } = connection;
    const paths = {
      ssh: { ping: () => engine.ping(), info: () => engine.cpus() },
      local_socket: { ping: () => localDocker.ping(), info: () => localDocker.info() },
      remote_socket_direct: { ping: () => remoteDocker.ping(), info: () => remoteDocker.info() },
    };
    for (const [name, client] of Object.entries(paths)) {
      requests[name] = {
        ping: await timeEach(client.ping),
        info: await timeEach(client.info),
        [`burst_${BURST}_concurrent_info_ms`]: round2(await timeBurst(client.info)),
      };
    }
    requests.ssh.peak_note = `${connection.transport} transport, at most ${SSH_DEFAULTS.channels} channels`;
  } finally {
    await connection.close();
  }

  // 2. Six services, to the SSH host and to the local engine.
  say(`deploys: ${SERVICES} services, ${ROUNDS} round(s) each way, interleaved`);
  const repos = [];
  for (let i = 1; i <= SERVICES; i++) repos.push(await makeRepo(i));
  const dirs = {};
  for (const target of ["local", "ssh"]) {
    dirs[target] = await tempDir(`deploy-bench-ssh-${target}-`);
    await writeFile(join(dirs[target], "services.yaml"), manifest(target, repos, host));
  }
  const runs = { local: { cold: [], noop: [] }, ssh: { cold: [], noop: [] } };
  const phases = { local: [], ssh: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const repo of repos) await repo.restamp(`${ID}-${round}`);
    for (const target of round % 2 ? ["ssh", "local"] : ["local", "ssh"]) {
      await removeProject(target === "ssh" ? remoteDocker : localDocker, PROJECTS[target], LABEL);
      const cacheDir = await tempDir("deploy-bench-ssh-cache-");
      const cold = await deploy(dirs[target], cacheDir);
      phases[target].push(await coldPhases(join(dirs[target], "logs")));
      const noop = await deploy(dirs[target], cacheDir);
      runs[target].cold.push(cold);
      runs[target].noop.push(noop);
      say(`round ${round} ${target}: cold ${Math.round(cold)} ms, no-op ${Math.round(noop)} ms`);
    }
  }
  const figure = (target, kind) => round2(median(runs[target][kind]));
  const deploys = {
    services: SERVICES,
    rounds: ROUNDS,
    local: { cold_ms: figure("local", "cold"), noop_ms: figure("local", "noop"), runs_ms: runs.local },
    ssh: { cold_ms: figure("ssh", "cold"), noop_ms: figure("ssh", "noop"), runs_ms: runs.ssh },
  };
  for (const target of ["local", "ssh"]) {
    const names = Object.keys(phases[target][0] ?? {});
    deploys[target].cold_phases_ms = Object.fromEntries(
      names.map((name) => [name, round2(median(phases[target].map((round) => round[name])))]),
    );
  }
  deploys.cold_ratio = round2(deploys.ssh.cold_ms / deploys.local.cold_ms);
  deploys.noop_ratio = round2(deploys.ssh.noop_ms / deploys.local.noop_ms);

  const results = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    connect_ms: {
      mean: round2(mean(connectMs)),
      median: round2(median(connectMs)),
      samples: connectMs.length,
    },
    requests,
    request_ratio: {
      ping_ssh_vs_local: round2(requests.ssh.ping.mean_ms / requests.local_socket.ping.mean_ms),
      info_ssh_vs_local: round2(requests.ssh.info.mean_ms / requests.local_socket.info.mean_ms),
      ping_ssh_vs_remote_socket: round2(
        requests.ssh.ping.mean_ms / requests.remote_socket_direct.ping.mean_ms,
      ),
    },
    deploys,
    target: { cold_ratio_max: TARGET, met: deploys.cold_ratio <= TARGET },
  };
  print(results);
  await mkdir(join(ROOT, "bench", "results", "runs"), { recursive: true });
  await writeFile(
    join(ROOT, "bench", "results", "runs", "ssh.json"),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  say("results written to bench/results/runs/ssh.json");
}

async function timeEach(call) {
  for (let i = 0; i < 5; i++) await call(); // warm: the keep-alive channel is open
  const samples = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return { mean_ms: round2(mean(samples)), median_ms: round2(median(samples)), samples: samples.length };
}

async function timeBurst(call) {
  const started = performance.now();
  await Promise.all(Array.from({ length: BURST }, () => call()));
  return performance.now() - started;
}

async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

async function git(dir, ...args) {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
  const { stdout } = await exec("git", args, { cwd: dir, env });
  return stdout.trim();
}

/** A throwaway repository of one tiny busybox httpd service; `restamp` commits a new stamp (a cold build). */
async function makeRepo(index) {
  const dir = await tempDir(`deploy-bench-ssh-repo${index}-`);
  await git(dir, "init", "-q", "-b", "main");
  await git(dir, "config", "user.name", "bench");
  await git(dir, "config", "user.email", "bench@example.invalid");
  await mkdir(join(dir, "www"));
  const dockerfile = [
    "FROM busybox:latest",
    "COPY stamp /stamp",
    "COPY www/ /www/",
    index % 2 ? "RUN sleep 1" : "RUN seq 1 3000 > /www/lines.txt",
    "EXPOSE 8080",
    "STOPSIGNAL SIGKILL",
    'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]',
    "",
  ].join("\n");
  await writeFile(join(dir, "Dockerfile"), dockerfile);
  await writeFile(join(dir, "www", "health"), "ok\n");
  await writeFile(join(dir, "www", "index.html"), `service ${index}\n`);
  const restamp = async (stamp) => {
    await writeFile(join(dir, "stamp"), `${stamp}\n`);
    await git(dir, "add", "-A");
    await git(dir, "commit", "-q", "-m", `stamp ${stamp}`);
  };
  await restamp("initial");
  return { dir, index, restamp };
}

function manifest(target, repos, host) {
  const hosts =
    target === "ssh"
      ? [
          "hosts:",
          "  remote:",
          `    ssh: ${host.user}@${host.address}:${host.sshPort}`,
          `    identity_file: ${host.identityFile}`,
          `    known_hosts: ${host.knownHostsFile}`,
          `    docker_socket: ${host.dockerSocket}`,
        ]
      : [];
  const services = repos.flatMap((repo) => [
    `  svc-${repo.index}:`,
    `    repo: ${repo.dir}`,
    `    ports: ["127.0.0.1:${PORT_BASE[target] + repo.index}:8080"]`,
  ]);
  return [
    "version: 1",
    `project: ${PROJECTS[target]}`,
    "defaults:",
    "  branch: main",
    `  host: ${target === "ssh" ? "remote" : "local"}`,
    "  health: { path: /health, interval: 250ms, timeout: 60s }",
    ...hosts,
    "services:",
    ...services,
    "",
  ].join("\n");
}

/** Spawn to exit of `deploy all` in `dir`; a failed deploy fails the bench with its output. */
function deploy(dir, cacheDir) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("DEPLOY_")));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, "all", "--output", "plain", "--cache-dir", cacheDir], {
      cwd: dir,
      env: { ...env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`deploy in ${dir} exited ${code}:\n${output.slice(-3000)}`));
    });
  });
}

const EVENT = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) \[(\w+)\] ?(.*)$/;

/**
 * Where a cold run's time went, from the services' log files (its run is the last section of each): the mean
 * over the services of git (fetch), build (`building` → `built`), per build step, start (create + start),
 * health (first probe → healthy), and each service's total.
 */
async function coldPhases(logsDir) {
  const perService = [];
  for (let i = 1; i <= SERVICES; i++) {
    const text = await readFile(join(logsDir, `svc-${i}.log`), "utf8");
    const sections = text.split(/^==== run /m);
    const events = (sections[sections.length - 1] ?? "").split("\n").flatMap((line) => {
      const match = EVENT.exec(line);
      return match ? [{ t: Date.parse(match[1]), phase: match[2], text: match[3] }] : [];
    });
    const at = (test) => events.find(test)?.t ?? Number.NaN;
    const pending = at((e) => e.text.startsWith("state pending"));
    const building = at((e) => e.phase === "build" && e.text.startsWith("building "));
    const built = at((e) => e.phase === "build" && e.text.startsWith("built "));
    const deploying = at((e) => e.text.startsWith("state deploying"));
    const started = at((e) => e.text.startsWith("started container"));
    const checking = at((e) => e.text.startsWith("state checking"));
    const done = at((e) => /^state (succeeded|failed|rolled_back)/.test(e.text));
    // Step lines: BuildKit's `[2/4] COPY …`, the classic builder's `Step 2/4 : COPY …`.
    const steps = events.filter(
      (e) => e.phase === "build" && /^(\[[^\]]*\d+\/\d+\] |Step \d+\/\d+ : )/.test(e.text),
    ).length;
    perService.push({
      git: at((e) => e.phase === "git" && / is at /.test(e.text)) - pending,
      build: built - building,
      per_build_step: (built - building) / Math.max(1, steps),
      start: started - deploying,
      health: done - checking,
      total: done - pending,
    });
  }
  return Object.fromEntries(
    Object.keys(perService[0]).map((name) => [name, mean(perService.map((phase) => phase[name]))]),
  );
}

async function removeProject(docker, project, LABEL) {
  const filters = { label: [`${LABEL.project}=${project}`] };
  const ignore = (work) => work.catch(() => undefined);
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => ignore(docker.getContainer(c.Id).remove({ force: true }))));
  const images = await docker.listImages({ filters });
  for (const image of images) await ignore(docker.getImage(image.Id).remove({ force: true }));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((network) => ignore(docker.getNetwork(network.Id).remove())));
}

async function cleanup() {
  if (labels && localDocker) await removeProject(localDocker, PROJECTS.local, labels).catch(() => undefined);
  if (hostUp)
    await exec("bash", [TEST_HOST, "down", HOST_NAME]).catch((error) => say(`down: ${error.message}`));
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

function print(results) {
  const { requests: r, request_ratio: ratio, deploys: d } = results;
  const row = (label, value) => `  ${label.padEnd(44)} ${value}`;
  const lines = [
    "",
    `SSH host vs local socket (${results.machine.cpus} CPUs, node ${results.machine.node})`,
    row("ssh connect (handshake + auth + first ping)", `${results.connect_ms.median} ms median`),
    row(
      `ping, mean of ${REQUESTS}: ssh / local socket`,
      `${r.ssh.ping.mean_ms} / ${r.local_socket.ping.mean_ms} ms = ${ratio.ping_ssh_vs_local}x`,
    ),
    row(
      "ping, remote engine's socket directly",
      `${r.remote_socket_direct.ping.mean_ms} ms (ssh = ${ratio.ping_ssh_vs_remote_socket}x)`,
    ),
    row(
      `info, mean of ${REQUESTS}: ssh / local socket`,
      `${r.ssh.info.mean_ms} / ${r.local_socket.info.mean_ms} ms = ${ratio.info_ssh_vs_local}x`,
    ),
    row(
      `${BURST} concurrent info: ssh / local socket`,
      `${r.ssh[`burst_${BURST}_concurrent_info_ms`]} / ${r.local_socket[`burst_${BURST}_concurrent_info_ms`]} ms`,
    ),
    row(
      `cold deploy of ${SERVICES}, median of ${ROUNDS}: ssh / local`,
      `${d.ssh.cold_ms} / ${d.local.cold_ms} ms = ${d.cold_ratio}x (target ≤ ${TARGET}x: ${results.target.met ? "met" : "NOT MET"})`,
    ),
    row(
      `no-op rerun of ${SERVICES}: ssh / local`,
      `${d.ssh.noop_ms} / ${d.local.noop_ms} ms = ${d.noop_ratio}x`,
    ),
    "  cold deploy, mean per service (ms), ssh / local:",
    ...Object.keys(d.local.cold_phases_ms).map((name) =>
      row(`    ${name}`, `${d.ssh.cold_phases_ms[name]} / ${d.local.cold_phases_ms[name]}`),
    ),
    "",
  ];
  process.stdout.write(lines.join("\n"));
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say(`${signal}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

try {
  await main();
  await cleanup();
} catch (error) {
  say(`failed: ${error.message}`);
  await cleanup();
  process.exit(1);
}
