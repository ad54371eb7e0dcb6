#!/usr/bin/env node
// The scheduler at scale, simulated: `node bench/simulate.mjs` (or `npm run bench:simulate`).
//
// Runs the tool's real scheduler (src/run/scheduler.ts) and its real per-host build queue (src/hosts/build-slots.ts)
// over fake deploy steps, on virtual time, for 200 services in a depends_on graph over 20 hosts. Each fake step
// mirrors deployTarget: connect (one SSH connection per host, opened once) → fetch → build (in its host's build
// queue) → wait for its dependencies → start → health. Their durations are drawn from the phases measured by the
// bench on this machine (bench/results/reference.json: the `seq` and `chainSeq` runs, one service at a time, so
// each figure is a step's own duration, not one slowed by its neighbours) and bench/results/ssh-reference.json
// (the SSH handshake). It prints:
//   - the makespan against a lower bound: the critical path (fetch + build, then start + health after every
//     dependency) and each host's build work over its build slots; target: within 10 %;
//   - SSH channels per host: the most engine requests in flight at once on one host (builds, starts, probes);
//   - the tool's own cost: the manifest of 200 parsed and planned (real code, target < 1 s), the CPU the
//     scheduler spent over the simulated run, and the peak RSS (target < 300 MB).
// Options (environment): SIM_SERVICES (200), SIM_HOSTS (20), SIM_MAX_BUILDS (4), SIM_SEED (1), SIM_JSON=1.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const SERVICES = Number(process.env.SIM_SERVICES ?? 200);
const HOSTS = Number(process.env.SIM_HOSTS ?? 20);
const MAX_BUILDS = Number(process.env.SIM_MAX_BUILDS ?? 4);
const SEED = Number(process.env.SIM_SEED ?? 1);
/** sshd's default MaxSessions: channels one SSH connection may have open at once. */
const SSH_MAX_SESSIONS = 10;

/** The real modules, bundled from src/ (TypeScript) into one temporary ES module. */
async function loadTool() {
  // Inside the repository, so that the bundle's imports of packages resolve to its node_modules.
  const dir = await mkdtemp(join(root, "node_modules", ".deploy-sim-"));
  const outfile = join(dir, "tool.mjs");
  await build({
    stdin: {
      contents: [
        'export { schedule } from "./src/run/scheduler.ts";',
        'export { RankedSlots } from "./src/hosts/build-slots.ts";',
        'export { parseManifest } from "./src/manifest/parse.ts";',
        'export { buildPlan } from "./src/plan/plan.ts";',
      ].join("\n"),
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    outfile,
    logLevel: "error",
  });
  const tool = await import(pathToFileURL(outfile).href);
  await rm(dir, { recursive: true, force: true });
  return tool;
}

/** mulberry32: a small seeded PRNG, so a run is repeatable. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The measured phase durations (ms) of services deployed one at a time. */
async function measuredPhases() {
  const reference = JSON.parse(await readFile(join(root, "bench/results/reference.json"), "utf8"));
  const ssh = JSON.parse(await readFile(join(root, "bench/results/ssh-reference.json"), "utf8"));
  const phases = { git: [], build: [], start: [], health: [] };
  for (const variant of ["seq", "chainSeq"]) {
    for (const service of Object.values(reference.measurements[variant]?.phases?.services ?? {})) {
      for (const key of Object.keys(phases))
        if (typeof service[key] === "number") phases[key].push(service[key]);
    }
  }
  return { phases, connectMs: ssh.connect_ms.median };
}

/** A layered depends_on graph: each service after the first level depends on 1–3 services of earlier levels. */
function makeGraph(random) {
  const levels = 8;
  const services = [];
  for (let i = 0; i < SERVICES; i++) {
    const level = Math.min(levels - 1, Math.floor((i / SERVICES) * levels));
    const earlier = services.filter((service) => service.level < level);
    const count = level === 0 ? 0 : 1 + Math.floor(random() * 3);
    const dependsOn = new Set();
    for (let d = 0; d < count && earlier.length > 0; d++) {
      // Mostly the level just before: a deep graph, not 200 services hanging off the first ones.
      const pool = earlier.filter((service) => service.level === level - 1);
      const from = pool.length > 0 && random() < 0.7 ? pool : earlier;
      dependsOn.add(from[Math.floor(random() * from.length)].name);
    }
    services.push({
      name: `svc-${String(i + 1).padStart(3, "0")}`,
      level,
      host: `host-${(i % HOSTS) + 1}`,
      dependsOn: [...dependsOn],
    });
  }
  return services;
}

function manifestText(services) {
  const hosts = Array.from(
    { length: HOSTS },
    (_, i) =>
      `  host-${i + 1}: { ssh: "deploy@10.0.${Math.floor(i / 250)}.${(i % 250) + 1}", max_builds: ${MAX_BUILDS} }`,
  );
  const lines = ["version: 1", "project: sim", "hosts:", ...hosts, "services:"];
  for (const service of services) {
    lines.push(`  ${service.name}:`);
    lines.push(`    repo: ssh://git@git.example.com/acme/${service.name}.git`);
    lines.push(`    host: ${service.host}`);
    lines.push(`    ports: ["${20000 + Number(service.name.slice(4))}:8080"]`);
    lines.push("    health: { path: /health, interval: 250ms }");
    if (service.dependsOn.length > 0) lines.push(`    depends_on: [${service.dependsOn.join(", ")}]`);
  }
  return `${lines.join("\n")}\n`;
}

/** Discrete-event time: sleeps resolve in time order once every promise chain has settled. */
class VirtualClock {
  now = 0;
  #timers = [];
  #seq = 0;
  sleep(ms) {
    return new Promise((resolve) => {
      this.#timers.push({ at: this.now + Math.max(0, ms), seq: this.#seq++, resolve });
    });
  }
  async run(work) {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done) return result;
      if (this.#timers.length === 0)
        throw new Error("simulation stalled: nothing scheduled and the run not done");
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift();
      this.now = next.at;
      next.resolve();
    }
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const tool = await loadTool();
  const { phases, connectMs } = await measuredPhases();
  const random = prng(SEED);
  const services = makeGraph(random);

  // Planning: the real manifest parser and planner over the 200, as `deploy all` starts.
  const text = manifestText(services);
  const cpuPlan = process.cpuUsage();
  const planStart = performance.now();
  const parsed = tool.parseManifest(text, { file: join(tmpdir(), "sim", "services.yaml"), env: {} });
  if (!parsed.ok) throw new Error(`simulated manifest: ${JSON.stringify(parsed.problems.slice(0, 3))}`);
  const plan = tool.buildPlan(parsed.manifest, Object.keys(parsed.manifest.services), undefined, "sim-run");
  const planningMs = performance.now() - planStart;
  const planCpuMs = (process.cpuUsage(cpuPlan).user + process.cpuUsage(cpuPlan).system) / 1000;

  // Each target's step durations, drawn once (with ±15 % jitter) so that the bound and the run use the same.
  const draw = (values) => values[Math.floor(random() * values.length)] * (0.85 + random() * 0.3);
  const steps = new Map(
    plan.targets.map((target) => [
      target.ref.key,
      {
        git: draw(phases.git),
        build: draw(phases.build),
        start: draw(phases.start),
        health: draw(phases.health),
      },
    ]),
  );

  const clock = new VirtualClock();
  const connections = new Map();
  const slots = new Map();
  const channels = new Map();
  const peakChannels = new Map();
  const open = (host) => {
    const now = (channels.get(host) ?? 0) + 1;
    channels.set(host, now);
    peakChannels.set(host, Math.max(peakChannels.get(host) ?? 0, now));
  };
  const close = (host) => channels.set(host, (channels.get(host) ?? 1) - 1);
  const onHost = async (host, ms) => {
    open(host);
    try {
      await clock.sleep(ms);
    } finally {
      close(host);
    }
  };
  const rank = new Map(plan.targets.map((target, index) => [target.ref.key, index]));

  const cpuRun = process.cpuUsage();
  const results = await clock.run(
    tool.schedule(
      plan.targets.map((target) => ({ ...target, key: target.ref.key })),
      {
        run: async (target, dependenciesReady, dependenciesPending) => {
          const host = target.host.name;
          const step = steps.get(target.ref.key);
          if (!connections.has(host)) connections.set(host, clock.sleep(connectMs));
          await connections.get(host);
          if (!slots.has(host)) {
            slots.set(
              host,
              new tool.RankedSlots(async () => ({ builds: target.host.maxBuilds, whileWaiting: 2 * 2 })),
            );
          }
          const claim = slots.get(host).claim(rank.get(target.ref.key), dependenciesPending);
          await clock.sleep(step.git); // the fetch runs here, in the tool's repository cache: no channel
          await claim.run(() => onHost(host, step.build));
          claim.drop();
          const blocked = await dependenciesReady();
          if (blocked) return { state: "skipped", key: target.ref.key };
          await onHost(host, step.start);
          await onHost(host, step.health);
          return { state: "succeeded", key: target.ref.key };
        },
        notStarted: (target) => ({ state: "skipped", key: target.ref.key }),
        crashed: (_target, error) => {
          throw error;
        },
      },
      { concurrency: Number.MAX_SAFE_INTEGER, failFast: false },
    ),
  );
  const runCpuMs = (process.cpuUsage(cpuRun).user + process.cpuUsage(cpuRun).system) / 1000;
  const makespan = clock.now;
  if (results.some((result) => result.state !== "succeeded"))
    throw new Error("a simulated target did not succeed");

  // The lower bounds: no schedule can beat the critical path, nor a host's builds through its slots.
  const earliest = new Map();
  for (const target of plan.targets) {
    const step = steps.get(target.ref.key);
    const after = Math.max(0, ...target.waitsFor.map((key) => earliest.get(key)));
    earliest.set(
      target.ref.key,
      Math.max(connectMs + step.git + step.build, after) + step.start + step.health,
    );
  }
  const criticalPath = Math.max(...earliest.values());
  const byHost = new Map();
  for (const target of plan.targets) {
    const list = byHost.get(target.host.name) ?? [];
    list.push(steps.get(target.ref.key));
    byHost.set(target.host.name, list);
  }
  const hostBound = Math.max(
    ...[...byHost.values()].map(
      (list) =>
        connectMs +
        Math.min(...list.map((step) => step.git)) +
        list.reduce((sum, step) => sum + step.build, 0) / MAX_BUILDS +
        Math.min(...list.map((step) => step.start + step.health)),
    ),
  );
  const bound = Math.max(criticalPath, hostBound);
  const over = makespan / bound - 1;
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  const peaks = [...peakChannels.values()];
  const report = {
    services: SERVICES,
    hosts: HOSTS,
    max_builds: MAX_BUILDS,
    seed: SEED,
    depth: Math.max(...services.map((service) => service.level)) + 1,
    edges: services.reduce((sum, service) => sum + service.dependsOn.length, 0),
    measured_samples: Object.fromEntries(
      Object.entries(phases).map(([key, values]) => [
        key,
        { n: values.length, median_ms: Math.round(median(values)) },
      ]),
    ),
    makespan_s: +(makespan / 1000).toFixed(2),
    critical_path_s: +(criticalPath / 1000).toFixed(2),
    host_build_bound_s: +(hostBound / 1000).toFixed(2),
    over_lower_bound_pct: +(over * 100).toFixed(1),
    target_within_10pct: over <= 0.1,
    ssh_connections_per_host: 1,
    ssh_channels_per_host: {
      peak_max: Math.max(...peaks),
      peak_median: median(peaks),
      limit: SSH_MAX_SESSIONS,
    },
    planning_ms: +planningMs.toFixed(1),
    planning_cpu_ms: +planCpuMs.toFixed(1),
    scheduler_cpu_ms: +runCpuMs.toFixed(1),
    rss_mb: +rssMb.toFixed(1),
    targets_met: { makespan: over <= 0.1, planning: planningMs < 1000, rss: rssMb < 300 },
  };
  if (process.env.SIM_JSON) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const met = (ok) => (ok ? "met" : "NOT MET");
  const lines = [
    `${SERVICES} services, depends_on depth ${report.depth} (${report.edges} edges), over ${HOSTS} hosts, max_builds ${MAX_BUILDS}, seed ${SEED}`,
    `phases drawn from bench/results (medians): git ${report.measured_samples.git.median_ms} ms, build ${report.measured_samples.build.median_ms} ms, start ${report.measured_samples.start.median_ms} ms, health ${report.measured_samples.health.median_ms} ms; SSH connect ${connectMs} ms`,
    `makespan            ${report.makespan_s} s`,
    `lower bound         ${(bound / 1000).toFixed(2)} s (critical path ${report.critical_path_s} s, busiest host's builds ${report.host_build_bound_s} s)`,
    `over the bound      ${report.over_lower_bound_pct} %   target <= 10 %: ${met(report.targets_met.makespan)}`,
    `SSH per host        1 connection; channels in flight at most ${report.ssh_channels_per_host.peak_max} (median host ${report.ssh_channels_per_host.peak_median}; sshd allows ${SSH_MAX_SESSIONS})`,
    `planning            ${report.planning_ms} ms (parse + plan of ${SERVICES}; CPU ${report.planning_cpu_ms} ms)   target < 1 s: ${met(report.targets_met.planning)}`,
    `scheduler CPU       ${report.scheduler_cpu_ms} ms over the whole simulated run`,
    `RSS                 ${report.rss_mb} MB   target < 300 MB: ${met(report.targets_met.rss)}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
