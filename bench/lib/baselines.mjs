/** What an operator would run instead of the tool: bash background jobs (bench/baseline.sh) and docker-compose. */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BASELINE, log, NOOP_RUNS, secs } from "./context.mjs";
import { cpuMeter } from "./cpu.mjs";
import { removeBashProject, removeComposeProject, waitHealthy } from "./engine.mjs";
import { HEALTH_INTERVAL_MS, writeComposeFile } from "./fixtures.mjs";
import { bashPhases } from "./phases.mjs";
import { baselineBuilder, cleanEnv, describeFailure, median, mustRun, run } from "./proc.mjs";
import { allHealthy, healthUrls, verifyContent } from "./verify.mjs";

/**
 * bench/baseline.sh over `services` as `variant`, with the builder settings `builderEnv`. `fresh`: the project
 * and the clones are removed first (a cold deploy); otherwise each job pulls into the clone the last run left.
 * `pulled`: the clones are pulled before the timer starts and the jobs run no git (the engine floor).
 */
export async function bashDeploy(
  tmp,
  variant,
  services,
  builderEnv,
  { fresh = true, files = ["stamp"], what = "cold", pulled = false } = {},
) {
  const work = join(tmp, variant.id);
  if (fresh) {
    await removeBashProject(variant.project);
    await rm(work, { recursive: true, force: true });
  }
  await mkdir(work, { recursive: true });
  for (const entry of await readdir(work)) {
    if (entry.endsWith(".times")) await rm(join(work, entry));
  }
  if (pulled) {
    await Promise.all(
      services.map((s) => mustRun("git", ["-C", join(work, s.name), "pull", "-q", "--ff-only"])),
    );
  }
  log(`${variant.id}: baseline.sh (${variant.project}), ${what}`);
  const specs = services.map((s) => `${s.name}=${s.repo}=${s.port}`);
  const meter = cpuMeter();
  const result = await run("bash", [BASELINE, variant.project, work, ...specs], {
    cwd: work,
    env: cleanEnv({
      BENCH_HEALTH_INTERVAL: String(HEALTH_INTERVAL_MS / 1000),
      ...(pulled ? { BENCH_PULLED: "1" } : {}),
      ...builderEnv,
    }),
  });
  const cpu = meter.stop();
  if (result.code !== 0) throw new Error(`bash baseline failed: ${describeFailure(result)}`);
  await allHealthy(services);
  await verifyContent(variant.id, services, files);
  const phases = {};
  for (const s of services) phases[s.name] = await bashPhases(join(work, `${s.name}.times`));
  log(`${variant.id}: ${secs(result.ms)} s`);
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
export async function composeCold(
  tmp,
  variant,
  services,
  { parallelBuild = false, noop = false, builderEnv = baselineBuilder.classic } = {},
) {
  const { project } = variant;
  await removeComposeProject(project);
  const work = join(tmp, variant.id);
  await rm(work, { recursive: true, force: true });
  const { cloned, ms: cloneMs } = await cloneAll(work, services);
  const file = await writeComposeFile(work, project, cloned);
  const ps = await compose(project, file, ["ps"], { cwd: work });
  if (ps.code !== 0) throw new Error(`docker-compose cannot reach the engine: ${describeFailure(ps)}`);
  log(
    `${variant.id}: docker-compose ${parallelBuild ? "build --parallel + up -d" : "up -d --build"} (${project}), cold`,
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
  await Promise.all(healthUrls(services).map((url) => waitHealthy(url, { intervalMs: HEALTH_INTERVAL_MS })));
  const ms = performance.now() - start;
  const cpu = meter.stop();
  await verifyContent(variant.id, services);
  log(`${variant.id}: ${secs(ms)} s (+ clone ${secs(cloneMs)} s)`);
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
      const result = await compose(project, file, ["up", "-d"], { cwd: work, builderEnv });
      if (result.code !== 0)
        throw new Error(`docker-compose up -d (no-op) failed: ${describeFailure(result)}`);
      times.push(result.ms);
    }
    log(`${variant.id}: no-op up -d: ${times.map(secs).join(" / ")} s`);
    out.noop = { ms: median(times), runs: times };
  }
  await compose(project, file, ["down", "--rmi", "all", "-v", "--remove-orphans", "-t", "0"], { cwd: work });
  return out;
}

/**
 * A docker CLI that builds with BuildKit (DOCKER_BUILDKIT=1), found by building `dir` as `tag`: the one on the
 * PATH (with buildx), else Debian's docker.io CLI in /usr/bin (20.10 has BuildKit built in). `{ dir }` or null.
 */
export async function buildkitCli(dir, tag) {
  for (const cliDir of [null, "/usr/bin"]) {
    const env = cleanEnv(baselineBuilder.buildkit(cliDir));
    const result = await run("docker", ["build", "-q", "-t", tag, dir], { env, timeoutMs: 120_000 });
    if (result.code === 0) return { dir: cliDir };
  }
  return null;
}
