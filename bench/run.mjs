#!/usr/bin/env node
/**
 * The benchmark suite (issue #6, "Speed is measured"). One run on this machine deploys six fixture services
 * with the tool and with the baselines it is compared against — a bash script of background jobs and Docker
 * Compose — all cold, all in this same run, and prints a table of figures, ratios and targets. Targets are
 * printed as met / not met and never fail the run; the exit code is non-zero only when a measurement could
 * not be taken. See bench/README.md.
 *
 *   node bench/run.mjs            (after scripts/setup.sh: engine, busybox:latest, dist/)
 */
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuLoopMs, cpuMeter } from "./lib/cpu.mjs";
import {
  docker,
  removeBashProject,
  removeComposeProject,
  removeToolProject,
  waitHealthy,
} from "./lib/engine.mjs";
import {
  git,
  HEALTH_INTERVAL_MS,
  makeMonorepos,
  makeRepo,
  restamp,
  serviceFiles,
  writeComposeFile,
  writeManifest,
} from "./lib/fixtures.mjs";
import { bashPhases, meanOf, toolRunPhases } from "./lib/phases.mjs";
import { baselineBuilder, cleanEnv, killAll, median, mustRun, run, sleep, TIME_BIN } from "./lib/proc.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist", "cli.js");
const BASELINE = join(ROOT, "bench", "baseline.sh");
const RESULTS = join(ROOT, "bench", "results");
const N = 6;
/** Rounds of every deploy variant (BENCH_ROUNDS): the figures are medians. */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3) || 3);
/** BENCH_ONLY=cold,chain,chainSeq: measure only these variants (also `help`, `plan`), to look into one figure. */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",")) : null;
const wanted = (variant) => !ONLY || ONLY.has(variant);
const NOOP_RUNS = 3;
const HELP_RUNS = 10;
const PLAN_RUNS = 5;
const PLAN_REPOS = 5;
const PLAN_PER_REPO = 10;
const ID = randomBytes(3).toString("hex");

/** One project name and port block per variant: nothing of one variant can meet another's. */
const VARIANTS = {
  cold: { project: `bench-cold-${ID}`, port: 28100 },
  seq: { project: `bench-seq-${ID}`, port: 28110 },
  bash: { project: `bench-bash-${ID}`, port: 28120 },
  compose: { project: `bench-compose-${ID}`, port: 28130 },
  composePar: { project: `bench-composep-${ID}`, port: 28140 },
  chain: { project: `bench-chain-${ID}`, port: 28150 },
  chainSeq: { project: `bench-chainseq-${ID}`, port: 28160 },
  bashBk: { project: `bench-bashbk-${ID}`, port: 28170 },
  composeBk: { project: `bench-composebk-${ID}`, port: 28180 },
  plan: { project: `bench-plan-${ID}`, port: 28200 },
};

let interrupted = false;
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const secs = (ms) => (ms / 1000).toFixed(2);

// ---------------------------------------------------------------------------------------------- preflight

async function commandWorks(cmd, args) {
  try {
    return (await run(cmd, args, { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false;
  }
}

/** `apt-get install -y <pkg>` when running as root on a Debian-like machine (apt-get update once if needed). */
async function aptInstall(pkg) {
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return false;
  const env = cleanEnv({ DEBIAN_FRONTEND: "noninteractive" });
  log(`installing ${pkg} (apt-get install -y ${pkg})`);
  let result = await run("apt-get", ["install", "-y", pkg], { env, timeoutMs: 300_000 });
  if (result.code !== 0) {
    await run("apt-get", ["update"], { env, timeoutMs: 300_000 });
    result = await run("apt-get", ["install", "-y", pkg], { env, timeoutMs: 300_000 });
  }
  if (result.code !== 0)
    log(`could not install ${pkg}: ${result.stderr.trim().split("\n").slice(-2).join(" ")}`);
  return result.code === 0;
}

async function preflight() {
  const problems = [];
  if (!existsSync(CLI)) problems.push("dist/cli.js is missing: run `npm run build` (or scripts/setup.sh)");
  try {
    await docker.ping();
  } catch (error) {
    problems.push(`no Docker engine answers (${error.message}): run scripts/engine.sh ensure`);
  }
  if (problems.length === 0) {
    try {
      await docker.getImage("busybox:latest").inspect();
    } catch {
      problems.push("the engine has no busybox:latest image: run scripts/base-image.sh");
    }
  }
  if (problems.length > 0) {
    for (const problem of problems) log(problem);
    process.exit(2);
  }
  if (!existsSync(TIME_BIN)) await aptInstall("time");
  if (!(await commandWorks("docker-compose", ["version"]))) await aptInstall("docker-compose");
  const compose = await commandWorks("docker-compose", ["version"]);
  if (!compose) log("docker-compose does not run: its figures are skipped");
  const curl = (await commandWorks("curl", ["--version"])) || (await commandWorks("wget", ["--help"]));
  if (!curl) log("neither curl nor wget: the bash baseline is skipped");
  return { compose, curl, rss: existsSync(TIME_BIN) };
}

/** When dist/ was last built (scripts/build.mjs rewrites it whole): a rebuild during the run would mix two builds. */
function distBuiltAt() {
  try {
    return statSync(join(ROOT, "dist", "cli.js")).mtime.toISOString();
  } catch {
    return null;
  }
}

async function machine() {
  const version = await docker.version();
  const out = async (cmd, args) => (await run(cmd, args, { timeoutMs: 30_000 })).stdout.trim();
  const gitHead = await out("git", ["-C", ROOT, "rev-parse", "--short=12", "HEAD"]);
  const dirty = (await out("git", ["-C", ROOT, "status", "--porcelain", "--", "src"])) !== "";
  return {
    dist_built_at: distBuiltAt(),
    cpus: availableParallelism(),
    cpu_model: cpus()[0]?.model ?? "unknown",
    memory_mb: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    docker_engine: version.Version,
    docker_compose: (await out("docker-compose", ["version", "--short"]).catch(() => "")) || null,
    git: await out("git", ["--version"]),
    tool_commit: gitHead,
    tool_src_dirty: dirty,
  };
}

// --------------------------------------------------------------------------------------------- variants

/** The six fixture services of a variant: names, repos and host ports. */
function sixServices(repos, variant, { chain = false } = {}) {
  const { port } = VARIANTS[variant];
  return repos.map((repo, i) => ({
    name: chain ? `link-${i + 1}` : `svc-${i + 1}`,
    repo,
    port: port + i + 1,
    ...(chain && i > 0 ? { dependsOn: [`link-${i}`] } : {}),
  }));
}

async function stampAll(repos, stamp) {
  await Promise.all(repos.map((repo) => restamp(repo, stamp)));
}

const urls = (services) => services.map((s) => `http://127.0.0.1:${s.port}/health`);

async function allHealthy(services) {
  await Promise.all(urls(services).map((url) => waitHealthy(url, { intervalMs: 100, timeoutMs: 5_000 })));
}

/**
 * Every service's container (found by its host port, whoever named it) holds its repository's current
 * `stamp`. A variant that deployed a stale image, or another service's (a build-cache hit on a context it
 * did not send), has not done the work the figure times: its run is a failed measurement, not a fast one.
 */
async function verifyStamps(variant, services) {
  const { stdout } = await mustRun("docker", ["ps", "--format", "{{.ID}}\t{{.Ports}}"]);
  const byPort = new Map();
  for (const line of stdout.trim().split("\n")) {
    const [id, ports = ""] = line.split("\t");
    for (const match of ports.matchAll(/127\.0\.0\.1:(\d+)->/g)) byPort.set(Number(match[1]), id);
  }
  const wrong = await Promise.all(
    services.map(async (service) => {
      const id = byPort.get(service.port);
      if (!id) return `${service.name}: no container publishes port ${service.port}`;
      const [want, got] = await Promise.all([
        git(service.repo, "show", "main:stamp"),
        mustRun("docker", ["exec", id, "cat", "/stamp"]).then((r) => r.stdout.trim()),
      ]);
      return got === want
        ? null
        : `${service.name}: its image holds stamp "${got}", its repository "${want}"`;
    }),
  );
  const problems = wrong.filter(Boolean);
  if (problems.length > 0)
    throw new Error(`${variant} deployed the wrong content:\n  ${problems.join("\n  ")}`);
}

function toolArgs(manifest, cache, extra = []) {
  return [CLI, "all", "main", "-f", manifest, "--output", "quiet", "--cache-dir", cache, ...extra];
}

function describeFailure(result) {
  return `exit ${result.code ?? result.signal}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`;
}

/** A cold deploy of `services` by the tool: project removed, a fresh repository cache, fresh logs. */
async function toolCold(tmp, variant, services, { extra = [], rss = false } = {}) {
  const { project } = VARIANTS[variant];
  await removeToolProject(project);
  const dir = join(tmp, variant);
  const manifest = await writeManifest(dir, project, services);
  const cache = join(dir, "cache");
  await rm(cache, { recursive: true, force: true });
  log(`${variant}: deploy all (${project}${extra.length ? ` ${extra.join(" ")}` : ""}), cold`);
  const meter = cpuMeter({ sampleMs: 100 });
  const result = await run(process.execPath, toolArgs(manifest, cache, extra), {
    cwd: dir,
    rssFile: rss ? join(dir, "time-v.txt") : undefined,
  });
  const cpu = meter.stop();
  if (result.code !== 0) throw new Error(`${variant}: the tool failed: ${describeFailure(result)}`);
  await allHealthy(services);
  await verifyStamps(variant, services);
  const phases = await toolRunPhases(
    join(dir, "logs"),
    services.map((s) => s.name),
    result,
  );
  // How busy the machine was while builds ran and while none did (in a chain: the links starting one after
  // the other): only a part of the run with idle CPUs can still be shortened by running more at once.
  const builds = Object.values(phases.services).filter((p) => p.buildStartAt != null && p.builtAt != null);
  const building = (at) => builds.some((p) => p.buildStartAt <= at && at < p.builtAt);
  const during = (test) =>
    meter.busyWhere((at) => at >= result.startEpochMs && at <= result.endEpochMs && test(at));
  cpu.whileBuilding = during(building);
  cpu.whileNotBuilding = during((at) => !building(at));
  log(`${variant}: ${secs(result.ms)} s`);
  return { ms: result.ms, maxRssKb: result.maxRssKb, cpu, phases, dir, manifest, cache };
}

/** The tool again over what it just deployed: every service must be `unchanged`. Median of NOOP_RUNS. */
async function toolNoop(cold) {
  const times = [];
  let last = null;
  for (let i = 0; i < NOOP_RUNS; i++) {
    const result = await run(process.execPath, toolArgs(cold.manifest, cold.cache), { cwd: cold.dir });
    last = result;
    if (result.code !== 0) throw new Error(`no-op rerun failed: ${describeFailure(result)}`);
    const summary = JSON.parse(await readFile(join(cold.dir, "logs", "last-run.json"), "utf8"));
    const changed = summary.services.filter((s) => s.state !== "unchanged");
    if (changed.length > 0) {
      throw new Error(`no-op rerun changed ${changed.map((s) => `${s.service}: ${s.state}`).join(", ")}`);
    }
    times.push(result.ms);
  }
  log(`no-op rerun: ${times.map(secs).join(" / ")} s`);
  const phases = await toolRunPhases(join(cold.dir, "logs"), Object.keys(cold.phases.services), last);
  return { ms: median(times), runs: times, phases };
}

/** The bash baseline, cold, as `variant` (bash or bashBk), with the builder settings `builderEnv`. */
async function bashCold(tmp, variant, services, builderEnv) {
  const { project } = VARIANTS[variant];
  await removeBashProject(project);
  const work = join(tmp, variant);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  log(`${variant}: baseline.sh (${project}), cold`);
  const specs = services.map((s) => `${s.name}=${s.repo}=${s.port}`);
  const meter = cpuMeter();
  const result = await run("bash", [BASELINE, project, work, ...specs], {
    cwd: work,
    env: cleanEnv({ BENCH_HEALTH_INTERVAL: String(HEALTH_INTERVAL_MS / 1000), ...builderEnv }),
  });
  const cpu = meter.stop();
  if (result.code !== 0) throw new Error(`bash baseline failed: ${describeFailure(result)}`);
  await allHealthy(services);
  await verifyStamps(variant, services);
  const phases = {};
  for (const s of services) phases[s.name] = await bashPhases(join(work, `${s.name}.times`));
  log(`${variant}: ${secs(result.ms)} s`);
  return { ms: result.ms, cpu, phases };
}

/** Clones the six (shallow, in parallel, like the bash baseline) for Compose to build from. */
async function cloneAll(work, services) {
  const start = performance.now();
  const cloned = await Promise.all(
    services.map(async (s) => {
      const dir = join(work, "src", s.name);
      await mustRun("git", ["clone", "-q", "--depth", "1", "--branch", "main", `file://${s.repo}`, dir]);
      return { ...s, dir };
    }),
  );
  return { cloned, ms: performance.now() - start };
}

function compose(project, file, args, { builderEnv = baselineBuilder.classic, ...options } = {}) {
  return run("docker-compose", ["-p", project, "-f", file, ...args], {
    timeoutMs: 300_000,
    env: cleanEnv(builderEnv),
    ...options,
  });
}

/**
 * Compose, cold: clone (timed apart), then `up -d --build` (or with `parallelBuild`, `build --parallel` then
 * `up -d`), then wait until every /health answers. With `noop`, `up -d` again, NOOP_RUNS times.
 */
async function composeCold(
  tmp,
  variant,
  services,
  { parallelBuild = false, noop = false, builderEnv = baselineBuilder.classic } = {},
) {
  const { project } = VARIANTS[variant];
  await removeComposeProject(project);
  const work = join(tmp, variant);
  await rm(work, { recursive: true, force: true });
  const { cloned, ms: cloneMs } = await cloneAll(work, services);
  const file = await writeComposeFile(work, project, cloned);
  const ps = await compose(project, file, ["ps"], { cwd: work });
  if (ps.code !== 0) throw new Error(`docker-compose cannot reach the engine: ${describeFailure(ps)}`);
  log(
    `${variant}: docker-compose ${parallelBuild ? "build --parallel + up -d" : "up -d --build"} (${project}), cold`,
  );
  const meter = cpuMeter();
  const start = performance.now();
  const steps = parallelBuild
    ? [
        ["build", "--parallel"],
        ["up", "-d"],
      ]
    : [["up", "-d", "--build"]];
  const stepMs = [];
  for (const step of steps) {
    const result = await compose(project, file, step, { cwd: work, builderEnv });
    if (result.code !== 0)
      throw new Error(`docker-compose ${step.join(" ")} failed: ${describeFailure(result)}`);
    stepMs.push(result.ms);
  }
  const upDone = performance.now();
  await Promise.all(urls(services).map((url) => waitHealthy(url, { intervalMs: HEALTH_INTERVAL_MS })));
  const ms = performance.now() - start;
  const cpu = meter.stop();
  await verifyStamps(variant, services);
  log(`${variant}: ${secs(ms)} s (+ clone ${secs(cloneMs)} s)`);
  const out = {
    ms,
    cpu,
    cloneMs,
    commandMs: upDone - start,
    healthWaitMs: performance.now() - upDone,
    stepMs,
  };
  if (noop) {
    const times = [];
    for (let i = 0; i < NOOP_RUNS; i++) {
      const result = await compose(project, file, ["up", "-d"], { cwd: work });
      if (result.code !== 0)
        throw new Error(`docker-compose up -d (no-op) failed: ${describeFailure(result)}`);
      times.push(result.ms);
    }
    log(`${variant}: no-op up -d: ${times.map(secs).join(" / ")} s`);
    out.noop = { ms: median(times), runs: times };
  }
  await compose(project, file, ["down", "--rmi", "all", "-v", "--remove-orphans", "-t", "0"], { cwd: work });
  return out;
}

/**
 * A docker CLI that builds with BuildKit (DOCKER_BUILDKIT=1), found by building `dir` as `tag`: the one on the
 * PATH (with buildx), else Debian's docker.io CLI in /usr/bin (20.10 has BuildKit built in). `{ dir }` or null.
 */
async function buildkitCli(dir, tag) {
  for (const cliDir of [null, "/usr/bin"]) {
    const env = cleanEnv(baselineBuilder.buildkit(cliDir));
    const result = await run("docker", ["build", "-q", "-t", tag, dir], { env, timeoutMs: 120_000 });
    if (result.code === 0) return { dir: cliDir };
  }
  return null;
}

async function timesOf(runs, cmd, args, options) {
  const times = [];
  let maxRssKb = null;
  for (let i = 0; i < runs; i++) {
    const result = await run(cmd, args, options(i));
    if (result.code !== 0) throw new Error(`${args.join(" ")} failed: ${describeFailure(result)}`);
    times.push(result.ms);
    if (result.maxRssKb !== null) maxRssKb = Math.max(maxRssKb ?? 0, result.maxRssKb);
  }
  return { ms: median(times), runs: times, maxRssKb };
}

/** The CLI without its compile cache (src/launcher/): every run compiles, as a command's first run does. */
const NO_CODE_CACHE = { NODE_DISABLE_COMPILE_CACHE: "1" };

async function helpTimes(tmp) {
  log(`--help: ${HELP_RUNS} runs`);
  const help = await timesOf(HELP_RUNS, process.execPath, [CLI, "--help"], () => ({ cwd: tmp }));
  const uncached = await timesOf(HELP_RUNS, process.execPath, [CLI, "--help"], () => ({
    cwd: tmp,
    env: cleanEnv(NO_CODE_CACHE),
  }));
  const node = await timesOf(HELP_RUNS, process.execPath, ["-e", "0"], () => ({ cwd: tmp }));
  return { help, uncached, node };
}

/** `deploy plan all` over 50 services in 5 monorepos: first with an empty cache, then warm, under GNU time. */
async function planTimes(tmp, rss) {
  const { project, port } = VARIANTS.plan;
  const dir = join(tmp, "plan");
  const repos = await makeMonorepos(join(dir, "repos"), PLAN_REPOS, PLAN_PER_REPO);
  const services = [];
  repos.forEach((repo, r) => {
    for (let s = 0; s < PLAN_PER_REPO; s++) {
      const folder = `app-${String(s).padStart(2, "0")}`;
      services.push({
        name: `m${r}-${folder}`,
        repo,
        context: folder,
        port: port + r * PLAN_PER_REPO + s,
        ...(s > 0 ? { dependsOn: [`m${r}-app-00`] } : {}),
      });
    }
  });
  const manifest = await writeManifest(dir, project, services);
  const cache = join(dir, "cache");
  const args = [CLI, "plan", "all", "main", "-f", manifest, "--cache-dir", cache];
  log(`plan: ${services.length} services in ${PLAN_REPOS} repos, 1 cold-cache + ${PLAN_RUNS} warm runs`);
  const cold = await timesOf(1, process.execPath, args, () => ({
    cwd: dir,
    rssFile: rss ? join(dir, "time-v.txt") : undefined,
  }));
  const warm = await timesOf(PLAN_RUNS, process.execPath, args, () => ({
    cwd: dir,
    rssFile: rss ? join(dir, "time-v.txt") : undefined,
  }));
  const uncached = await timesOf(PLAN_RUNS, process.execPath, args, () => ({
    cwd: dir,
    env: cleanEnv(NO_CODE_CACHE),
  }));
  return { services: services.length, cold, warm, uncached };
}

/** The run with the median time (the lower one of two middles), with every run's time in `runs_ms`. */
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  const chosen = sorted[Math.floor((sorted.length - 1) / 2)];
  return { ...chosen, runs_ms: runs.map((run) => run.ms) };
}

// --------------------------------------------------------------------------------------------- reporting

const figures = [];

/**
 * One line of the table. `target`: { op: "<=" | "<", limit, on: "ratio" | "value" } or null (informational).
 */
function figure(
  id,
  name,
  { value, unit, baseline = null, baselineName = null, target = null, note = null, rounds = null },
) {
  const ratio = value != null && baseline != null && baseline > 0 ? value / baseline : null;
  // Times come in ms; figures in seconds are stored in seconds.
  const scale = (x) => (x == null ? null : unit === "s" ? x / 1000 : x);
  let met = null;
  if (target) {
    const subject = target.on === "ratio" ? ratio : value;
    if (subject != null) met = target.op === "<" ? subject < target.limit : subject <= target.limit;
  }
  figures.push({
    id,
    figure: name,
    value: scale(value),
    unit,
    baseline: scale(baseline),
    baseline_name: baselineName,
    ratio,
    target,
    met,
    note,
    ratio_per_round: rounds,
  });
}

function fmt(value, unit) {
  if (value == null) return "n/a";
  if (unit === "s") return `${value.toFixed(2)} s`;
  if (unit === "ms") return `${Math.round(value)} ms`;
  if (unit === "MB") return `${value.toFixed(0)} MB`;
  return String(value);
}

function targetText(target, unit) {
  if (!target) return "—";
  return target.on === "ratio"
    ? `${target.op} ${target.limit.toFixed(2)}×`
    : `${target.op} ${fmt(target.limit, unit)}`;
}

/** Prints `rows` (arrays of strings) under `head` in aligned columns (numbers right-aligned). */
function grid(head, rows, indent = "") {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = head.map((_, i) => rows.every((r) => /^[-\d.,]*$/.test(r[i])));
  const line = (cells) =>
    indent +
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  console.log(line(head));
  console.log(indent + widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

function printTable() {
  grid(
    ["figure", "value", "baseline", "ratio", "target", "met"],
    figures.map((f) => [
      f.figure,
      fmt(f.value, f.unit),
      f.baseline == null ? "—" : `${fmt(f.baseline, f.unit)} ${f.baseline_name}`,
      f.ratio == null ? "—" : `${f.ratio.toFixed(2)}×`,
      targetText(f.target, f.unit),
      f.target ? (f.met == null ? "n/a" : f.met ? "met" : "NOT MET") : "info",
    ]),
  );
  const spread = figures.filter((f) => (f.ratio_per_round ?? []).length > 1);
  if (spread.length > 0) {
    console.log("\nratio within each round (the runs of one round are neighbours in time):");
    for (const f of spread) {
      console.log(`  ${f.figure.padEnd(46)} ${f.ratio_per_round.map((r) => `${r.toFixed(2)}×`).join("  ")}`);
    }
  }
}

const n = (value) => (value == null ? "-" : String(Math.round(value)));

function printPhases(title, phases) {
  console.log(`\n${title} [ms]`);
  const rows = Object.entries(phases.services).map(([name, p]) =>
    p.error
      ? [name, p.error, "", "", "", "", "", "", "", ""]
      : [
          name,
          n(p.git),
          n(p.prepare),
          n(p.build),
          n(p.labelSteps),
          String(p.buildSteps),
          n(p.wait),
          n(p.start),
          n(p.health),
          n(p.total),
        ],
  );
  grid(
    ["service", "git", "slot+prep", "build", "LABEL steps", "steps", "wait", "start", "health", "total"],
    rows,
    "  ",
  );
  console.log(
    `  process: ${n(phases.startupMs)} ms from spawn to the first service event, ${n(phases.teardownMs)} ms from the last final state to exit`,
  );
}

function printBashPhases(phases) {
  console.log("\nbash baseline, per service (from its .times files) [ms]");
  grid(
    ["service", "git", "build", "start", "health", "total"],
    Object.entries(phases).map(([name, p]) => [
      name,
      n(p.git),
      n(p.build),
      n(p.start),
      n(p.health),
      n(p.total),
    ]),
    "  ",
  );
}

/** Wall time, machine load and engine CPU of each deploy variant, and mean phases side by side. */
function printComparison(m) {
  const variants = [
    ["tool, cold", m.cold],
    ["tool -j 1, cold", m.seq],
    ["bash jobs, cold", m.bash],
    ["compose up --build", m.compose],
    ["compose build --parallel", m.composePar],
    ["bash jobs, BuildKit", m.bashBk],
    ["compose up --build, BuildKit", m.composeBk],
    ["tool, chain", m.chain],
    ["tool -j 1, chain", m.chainSeq],
  ].filter(([, v]) => v);
  console.log(
    "\nload while each variant ran (machine: all CPUs, busy share and CPU time; engine: dockerd + containerd CPU time)",
  );
  grid(
    ["variant", "wall s", "machine busy %", "machine CPU s", "engine CPU s"],
    variants.map(([name, v]) => [
      name,
      secs(v.ms),
      n(v.cpu?.machineBusyPct),
      v.cpu?.machineCpuS == null ? "-" : v.cpu.machineCpuS.toFixed(1),
      v.cpu?.engineCpuS == null ? "-" : v.cpu.engineCpuS.toFixed(1),
    ]),
    "  ",
  );
  if (m.cold && m.bash) {
    const tool = Object.values(m.cold.phases.services);
    const bash = Object.values(m.bash.phases);
    console.log("\nmean per service, tool (cold) vs bash [ms]");
    grid(
      ["phase", "tool", "bash"],
      [
        ["git", n(meanOf(tool, "git")), n(meanOf(bash, "git"))],
        ["slot + prepare", n(meanOf(tool, "prepare")), "-"],
        ["build", n(meanOf(tool, "build")), n(meanOf(bash, "build"))],
        ["  of which LABEL steps", n(meanOf(tool, "labelSteps")), "0"],
        ["start", n(meanOf(tool, "start")), n(meanOf(bash, "start"))],
        ["health", n(meanOf(tool, "health")), n(meanOf(bash, "health"))],
        ["total", n(meanOf(tool, "total")), n(meanOf(bash, "total"))],
      ],
      "  ",
    );
  }
  if (m.noop) {
    const services = Object.values(m.noop.phases.services);
    console.log(
      `\nno-op rerun: ${n(m.noop.phases.startupMs)} ms to the first service event, git ${n(meanOf(services, "git"))} ms and ${n(meanOf(services, "total"))} ms per service, ${n(m.noop.phases.teardownMs)} ms to exit`,
    );
  }
  if (m.compose) {
    console.log(
      `compose: up -d --build ${secs(m.compose.commandMs)} s, then every /health within ${secs(m.compose.healthWaitMs)} s; the clone before it (not counted) ${secs(m.compose.cloneMs)} s`,
    );
  }
  if (m.plan && m.help) {
    console.log(
      `plan of ${m.plan.services}: ${n(m.plan.warm.ms - m.help.help.ms)} ms more than --help (whose time is mostly start-up): fetching 5 repos, inspecting the engine`,
    );
  }
}

// ------------------------------------------------------------------------------------------------- main

async function attempt(name, errors, work) {
  if (interrupted) throw new Error("interrupted");
  try {
    return await work();
  } catch (error) {
    if (interrupted) throw error;
    errors.push({ variant: name, message: error instanceof Error ? error.message : String(error) });
    log(`${name} FAILED: ${error instanceof Error ? error.message : error}`);
    return null;
  }
}

async function cleanupEverything(tmp) {
  log("cleaning up containers, images and temp folders");
  for (const [variant, { project }] of Object.entries(VARIANTS)) {
    try {
      if (variant.startsWith("bash")) await removeBashProject(project);
      else if (variant.startsWith("compose")) await removeComposeProject(project);
      else await removeToolProject(project);
    } catch (error) {
      log(`cleanup of ${project}: ${error.message}`);
    }
  }
  if (tmp) await rm(tmp, { recursive: true, force: true });
}

async function main() {
  const startedAt = new Date();
  const have = await preflight();
  const info = await machine();
  // What else keeps the machine busy (other builds, tests): said next to the figures, which it skews.
  const idle = cpuMeter();
  await sleep(2_000);
  info.background_busy_pct = idle.stop().machineBusyPct;
  const tmp = await mkdtemp(join(tmpdir(), "deploy-bench-"));
  const errors = [];
  const m = {};
  /** Every run of each deploy variant, by variant: { ms, round, … }. */
  const samples = {};
  /** value / baseline within each round where both ran: less exposed to a slow spell than medians. */
  const perRound = (variant, baseline, time = (run) => run.ms) =>
    (samples[variant] ?? []).flatMap((run) => {
      const other = (samples[baseline] ?? []).find((candidate) => candidate.round === run.round);
      return other ? [Number((time(run) / time(other)).toFixed(3))] : [];
    });
  const onSignal = (signal) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: stopping, then cleaning up`);
    killAll("SIGTERM");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    log(`run ${ID}: fixtures in ${tmp}`);
    const repos = [];
    for (let i = 1; i <= N; i++) {
      repos.push(await makeRepo(join(tmp, "repos", `svc-${i}`), serviceFiles(i, `svc-${i}`, "initial")));
    }

    // A throwaway build with each builder first, so no variant pays the engine's first-build warm-up.
    await stampAll(repos, `warmup-${ID}`);
    const warmup = `bench-warmup-${ID}:latest`;
    await run("docker", ["build", "-q", "-t", warmup, repos[0]], { env: cleanEnv(baselineBuilder.classic) });
    const bkCli = (wanted("bashBk") || wanted("composeBk")) && (await buildkitCli(repos[0], warmup));
    if (!bkCli) log("no docker CLI here builds with BuildKit: the BuildKit baselines are skipped");
    await run("docker", ["rmi", "-f", warmup]);

    // Start-up and plan first, on an idle engine as an operator's `deploy plan` meets it: right after the
    // deploy rounds, the engine is still removing their containers and images (the plan of 50 measured
    // about 440 ms there and 350 ms alone).
    if (wanted("help"))
      await attempt("help", errors, async () => {
        m.help = await helpTimes(tmp);
      });
    if (wanted("plan"))
      await attempt("plan", errors, async () => {
        m.plan = await planTimes(tmp, have.rss);
        await removeToolProject(VARIANTS.plan.project);
      });

    // Every deploy variant ROUNDS times, interleaved, so that a slow spell of the machine hits them alike;
    // the figures take each variant's median run.
    const sample = async (variant, round, work) =>
      wanted(variant) &&
      attempt(`${variant} (round ${round + 1})`, errors, async () => {
        const result = { ...(await work(`${variant}-${ID}-${round}`)), round };
        samples[variant] = [...(samples[variant] ?? []), result];
      });
    for (let round = 0; round < ROUNDS; round++) {
      info.cpu_loop_ms_per_round = [...(info.cpu_loop_ms_per_round ?? []), cpuLoopMs()];
      log(`round ${round + 1} of ${ROUNDS} (CPU loop: ${info.cpu_loop_ms_per_round[round]} ms)`);
      await sample("cold", round, async (stamp) => {
        await stampAll(repos, stamp);
        const cold = await toolCold(tmp, "cold", sixServices(repos, "cold"), { rss: have.rss });
        cold.noop = await toolNoop(cold);
        await removeToolProject(VARIANTS.cold.project);
        return cold;
      });
      if (have.compose) {
        await sample("compose", round, async (stamp) => {
          await stampAll(repos, stamp);
          return composeCold(tmp, "compose", sixServices(repos, "compose"), { noop: true });
        });
      }
      if (have.curl) {
        await sample("bash", round, async (stamp) => {
          await stampAll(repos, stamp);
          const bash = await bashCold(tmp, "bash", sixServices(repos, "bash"), baselineBuilder.classic);
          await removeBashProject(VARIANTS.bash.project);
          return bash;
        });
      }
      // The baselines again with BuildKit, as the tool builds: the gap left is the orchestration's.
      if (have.curl && bkCli) {
        await sample("bashBk", round, async (stamp) => {
          await stampAll(repos, stamp);
          const bash = await bashCold(
            tmp,
            "bashBk",
            sixServices(repos, "bashBk"),
            baselineBuilder.buildkit(bkCli.dir),
          );
          await removeBashProject(VARIANTS.bashBk.project);
          return bash;
        });
      }
      if (have.compose && bkCli) {
        await sample("composeBk", round, async (stamp) => {
          await stampAll(repos, stamp);
          return composeCold(tmp, "composeBk", sixServices(repos, "composeBk"), {
            builderEnv: baselineBuilder.buildkit(bkCli.dir),
          });
        });
      }
      await sample("seq", round, async (stamp) => {
        await stampAll(repos, stamp);
        const seq = await toolCold(tmp, "seq", sixServices(repos, "seq"), { extra: ["-j", "1"] });
        await removeToolProject(VARIANTS.seq.project);
        return seq;
      });
      if (have.compose) {
        await sample("composePar", round, async (stamp) => {
          await stampAll(repos, stamp);
          return composeCold(tmp, "composePar", sixServices(repos, "composePar"), { parallelBuild: true });
        });
      }
      await sample("chain", round, async (stamp) => {
        await stampAll(repos, stamp);
        const chain = await toolCold(tmp, "chain", sixServices(repos, "chain", { chain: true }));
        await removeToolProject(VARIANTS.chain.project);
        return chain;
      });
      await sample("chainSeq", round, async (stamp) => {
        await stampAll(repos, stamp);
        const services = sixServices(repos, "chainSeq", { chain: true });
        const chainSeq = await toolCold(tmp, "chainSeq", services, { extra: ["-j", "1"] });
        await removeToolProject(VARIANTS.chainSeq.project);
        return chainSeq;
      });
    }
    for (const [variant, runs] of Object.entries(samples)) m[variant] = medianRun(runs);
    if (samples.cold) {
      const noops = samples.cold.flatMap((cold) => cold.noop.runs);
      m.noop = { ...samples.cold[samples.cold.length - 1].noop, ms: median(noops), runs: noops };
      m.cold.maxRssKb = Math.max(...samples.cold.map((cold) => cold.maxRssKb ?? 0)) || null;
    }
    if (m.cold) delete m.cold.noop;
    if (samples.compose) {
      const noops = samples.compose.flatMap((compose) => compose.noop.runs);
      m.compose.noop = { ms: median(noops), runs: noops };
    }
  } finally {
    await cleanupEverything(tmp);
  }
  if (interrupted) process.exit(130);

  const sixTarget = (limit) => ({ op: "<=", limit, on: "ratio" });
  /** The cold deploy of 6 against the median run of another deploy variant (same round ratios beside it). */
  const coldVs = (id, name, variant, baselineName, target = null) =>
    figure(id, name, {
      value: m.cold?.ms,
      unit: "s",
      baseline: m[variant]?.ms,
      baselineName,
      target,
      rounds: perRound("cold", variant),
    });
  coldVs("cold_vs_compose", "cold deploy of 6 vs Compose up --build", "compose", "compose", sixTarget(0.55));
  coldVs("cold_vs_bash", "cold deploy of 6 vs bash jobs", "bash", "bash", sixTarget(1.0));
  figure("noop_vs_compose", "no-op rerun vs Compose up -d", {
    value: m.noop?.ms,
    unit: "s",
    baseline: m.compose?.noop?.ms,
    baselineName: "compose",
    target: sixTarget(0.8),
    rounds: perRound("cold", "compose", (run) => run.noop.ms),
  });
  figure("chain_vs_sequential", "6-deep depends_on chain vs -j 1", {
    value: m.chain?.ms,
    unit: "s",
    baseline: m.chainSeq?.ms,
    baselineName: "-j 1",
    target: sixTarget(0.5),
    rounds: perRound("chain", "chainSeq"),
  });
  figure("help_ms", "--help process time (median of 10)", {
    value: m.help?.help.ms,
    unit: "ms",
    target: { op: "<", limit: 250, on: "value" },
  });
  figure("plan50_ms", "plan of 50 services (warm cache, median)", {
    value: m.plan?.warm.ms,
    unit: "ms",
    target: { op: "<", limit: 400, on: "value" },
  });
  const mb = (kb) => (kb == null ? null : kb / 1024);
  figure("deploy_rss_mb", "peak RSS of the cold deploy of 6", {
    value: mb(m.cold?.maxRssKb),
    unit: "MB",
    target: { op: "<", limit: 200, on: "value" },
  });
  coldVs("cold_vs_sequential", "cold deploy of 6 vs the tool with -j 1", "seq", "-j 1");
  coldVs(
    "cold_vs_compose_parallel",
    "cold deploy of 6 vs Compose build --parallel",
    "composePar",
    "compose -p",
  );
  coldVs("cold_vs_bash_buildkit", "cold deploy of 6 vs bash jobs with BuildKit", "bashBk", "bash bk");
  coldVs(
    "cold_vs_compose_buildkit",
    "cold deploy of 6 vs Compose up --build with BuildKit",
    "composeBk",
    "compose bk",
  );
  figure("compose_clone_s", "clone of the 6 for Compose (not in its figure)", {
    value: m.compose?.cloneMs,
    unit: "s",
  });
  figure("plan50_cold_ms", "plan of 50 services (empty repo cache)", { value: m.plan?.cold.ms, unit: "ms" });
  figure("plan50_uncompiled_ms", "plan of 50 services, no compile cache", {
    value: m.plan?.uncached.ms,
    unit: "ms",
  });
  figure("help_uncompiled_ms", "--help, no compile cache (median of 10)", {
    value: m.help?.uncached.ms,
    unit: "ms",
  });
  figure("plan50_rss_mb", "peak RSS of plan of 50 services", {
    value: mb(m.plan?.warm.maxRssKb),
    unit: "MB",
  });
  figure("node_startup_ms", "node -e 0 process time (median of 10)", { value: m.help?.node.ms, unit: "ms" });

  console.log(
    `\nbench ${ID} — ${info.cpus} CPUs, ${info.memory_mb} MB, Docker ${info.docker_engine}, node ${info.node}`,
  );
  console.log(
    `tool at ${info.tool_commit}${info.tool_src_dirty ? " (src/ has uncommitted changes)" : ""}, dist/ built ${info.dist_built_at}`,
  );
  console.log(
    `machine ${n(info.background_busy_pct)}% busy before the bench started; deploy figures are medians of ${ROUNDS} interleaved rounds\n`,
  );
  printTable();
  const loops = info.cpu_loop_ms_per_round ?? [];
  if (loops.length > 0) {
    console.log(
      `  the same CPU work (a fixed loop) at the start of each round: ${loops.map((ms) => `${ms} ms`).join("  ")}`,
    );
  }
  if (m.cold)
    printPhases("where the tool's cold deploy of 6 spends its time (from logs/<service>.log)", m.cold.phases);
  if (m.bash) printBashPhases(m.bash.phases);
  if (m.chain) {
    printPhases("the chain, with the tool's default concurrency", m.chain.phases);
    const { whileBuilding: on, whileNotBuilding: off } = m.chain.cpu ?? {};
    if (on && off) {
      console.log(
        `  machine: ${on.pct} % busy during the ${on.s.toFixed(1)} s when builds ran, ${off.pct} % during the ${off.s.toFixed(1)} s when none did`,
      );
    }
  }
  printComparison(m);
  if (distBuiltAt() !== info.dist_built_at) {
    info.dist_rebuilt_during_run = true;
    console.log("\nWARNING: dist/ was rebuilt while the bench ran: its figures mix two builds of the tool");
  }
  for (const error of errors) console.log(`\nFAILED ${error.variant}: ${error.message}`);

  const finishedAt = new Date();
  const result = {
    schema: 1,
    id: ID,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_s: Math.round((finishedAt - startedAt) / 1000),
    machine: info,
    settings: {
      services: N,
      health_interval_ms: HEALTH_INTERVAL_MS,
      rounds: ROUNDS,
      noop_runs: NOOP_RUNS,
      help_runs: HELP_RUNS,
    },
    figures,
    measurements: JSON.parse(
      JSON.stringify(m, (key, value) => (["dir", "manifest", "cache"].includes(key) ? undefined : value)),
    ),
    errors,
  };
  await mkdir(RESULTS, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  await writeFile(join(RESULTS, `${stamp}.json`), json);
  await writeFile(join(RESULTS, "latest.json"), json);
  console.log(
    `\nresults: bench/results/latest.json and bench/results/${stamp}.json (${result.duration_s} s)`,
  );
  return errors.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (interrupted) {
      log("interrupted: cleaned up, no results written");
      process.exit(130);
    }
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
