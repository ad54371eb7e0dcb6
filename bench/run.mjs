#!/usr/bin/env node
/**
 * The benchmark suite: the tool against what an operator would run instead, all in this one run on this
 * machine, printed as a table of figures, ratios and targets (met / NOT MET: they never fail the run; the exit
 * code is non-zero only when a measurement could not be taken). See bench/README.md.
 *
 *   node bench/run.mjs            (after scripts/setup.sh: engine, busybox:latest, dist/)
 *
 * Each scenario in bench/scenarios/ exports { variants, once?, collect?, figures, print? }: `variants` are the
 * deploys it times each round ({ id, kind, project, port, label, needs?(ctx), run?(ctx, stamp) }), `once` what
 * it measures a single time before the rounds; the others read the results in `ctx.m` (variant id → median run).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildkitCli } from "./lib/baselines.mjs";
import { ID, log, N, NOOP_RUNS, ROUNDS, RUNS_DIR, secs, wanted } from "./lib/context.mjs";
import { cpuLoopMs, cpuMeter } from "./lib/cpu.mjs";
import { removeBashProject, removeComposeProject, removeToolProject } from "./lib/engine.mjs";
import { HEALTH_INTERVAL_MS, makeRepo, serviceFiles } from "./lib/fixtures.mjs";
import { distBuiltAt, machine, preflight } from "./lib/preflight.mjs";
import { baselineBuilder, cleanEnv, killAll, run, sleep } from "./lib/proc.mjs";
import { figures, grid, n, printTable, sortFigures } from "./lib/report.mjs";
import { stampAll } from "./lib/variants.mjs";
import chain from "./scenarios/chain.mjs";
import coldNoop from "./scenarios/cold-noop.mjs";
import startup from "./scenarios/startup.mjs";
import warmCommit from "./scenarios/warm-commit.mjs";

/** In this order: start-up once (on an idle engine), then each round runs the variants of these in turn. */
const SCENARIOS = [startup, coldNoop, warmCommit, chain];
const VARIANTS = SCENARIOS.flatMap((scenario) => scenario.variants);
const REMOVE = { tool: removeToolProject, bash: removeBashProject, compose: removeComposeProject };

let interrupted = false;

/** The run with the median time (the lower one of two middles), with every run's time in `runs_ms`. */
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  const chosen = sorted[Math.floor((sorted.length - 1) / 2)];
  return { ...chosen, runs_ms: runs.map((run) => run.ms) };
}

async function cleanupEverything(tmp) {
  log("cleaning up containers, images and temp folders");
  for (const { kind, project } of VARIANTS) {
    try {
      await REMOVE[kind](project);
    } catch (error) {
      log(`cleanup of ${project}: ${error.message}`);
    }
  }
  if (tmp) await rm(tmp, { recursive: true, force: true });
}

/** Wall time, machine load and engine CPU of each deploy variant that ran. */
function printLoad(m) {
  const ran = VARIANTS.filter((v) => v.run && m[v.id]);
  console.log(
    "\nload while each variant ran (machine: all CPUs, busy share and CPU time; engine: dockerd + containerd CPU time)",
  );
  grid(
    ["variant", "wall s", "machine busy %", "machine CPU s", "engine CPU s"],
    ran.map(({ id, label }) => {
      const { ms, cpu } = m[id];
      return [
        label,
        secs(ms),
        n(cpu?.machineBusyPct),
        cpu?.machineCpuS == null ? "-" : cpu.machineCpuS.toFixed(1),
        cpu?.engineCpuS == null ? "-" : cpu.engineCpuS.toFixed(1),
      ];
    }),
    "  ",
  );
}

async function writeResults(result, startedAt) {
  await mkdir(RUNS_DIR, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  await writeFile(join(RUNS_DIR, `${stamp}.json`), json);
  await writeFile(join(RUNS_DIR, "latest.json"), json);
  return `bench/results/runs/latest.json and bench/results/runs/${stamp}.json`;
}

async function main() {
  const startedAt = new Date();
  const have = await preflight();
  const info = await machine();
  // Other work on the machine skews the figures: said next to them.
  const idle = cpuMeter();
  await sleep(2_000);
  info.background_busy_pct = idle.stop().machineBusyPct;
  const tmp = await mkdtemp(join(tmpdir(), "deploy-bench-"));
  const errors = [];
  /** Every run of each deploy variant, by variant id: [{ ms, round, … }]. */
  const samples = {};
  const ctx = {
    tmp,
    have,
    m: {},
    samples,
    repos: [],
    bkCli: null,
    /** Runs `work`; a failure is recorded under `name` and the bench goes on. */
    async attempt(name, work) {
      if (interrupted) throw new Error("interrupted");
      try {
        return await work();
      } catch (error) {
        if (interrupted) throw error;
        errors.push({ variant: name, message: error instanceof Error ? error.message : String(error) });
        log(`${name} FAILED: ${error instanceof Error ? error.message : error}`);
        return null;
      }
    },
    /** value / baseline within each round where both ran: less exposed to a slow spell than medians. */
    perRound: (variant, baseline, time = (run) => run.ms) =>
      (samples[variant] ?? []).flatMap((run) => {
        const other = (samples[baseline] ?? []).find((candidate) => candidate.round === run.round);
        return other ? [Number((time(run) / time(other)).toFixed(3))] : [];
      }),
  };
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
    for (let i = 1; i <= N; i++) {
      ctx.repos.push(await makeRepo(join(tmp, "repos", `svc-${i}`), serviceFiles(i, `svc-${i}`, "initial")));
    }

    // No variant pays the engine's first build with either builder.
    await stampAll(ctx.repos, `warmup-${ID}`);
    const warmup = `bench-warmup-${ID}:latest`;
    await run("docker", ["build", "-q", "-t", warmup, ctx.repos[0]], {
      env: cleanEnv(baselineBuilder.classic),
    });
    ctx.bkCli = await buildkitCli(ctx.repos[0], warmup);
    if (!ctx.bkCli) log("no docker CLI here builds with BuildKit: the BuildKit baselines are skipped");
    await run("docker", ["rmi", "-f", warmup]);

    // Before the deploy rounds: an operator's `deploy plan` meets an idle engine, not one removing leftovers.
    for (const scenario of SCENARIOS) await scenario.once?.(ctx);

    // Rounds interleave every variant, so that a slow spell of the machine hits them alike.
    const rounds = VARIANTS.filter((v) => v.run && wanted(v.id) && (v.needs?.(ctx) ?? true));
    for (let round = 0; round < ROUNDS; round++) {
      info.cpu_loop_ms_per_round = [...(info.cpu_loop_ms_per_round ?? []), cpuLoopMs()];
      log(`round ${round + 1} of ${ROUNDS} (CPU loop: ${info.cpu_loop_ms_per_round[round]} ms)`);
      for (const v of rounds) {
        await ctx.attempt(`${v.id} (round ${round + 1})`, async () => {
          const result = { ...(await v.run(ctx, `${v.id}-${ID}-${round}`)), round };
          samples[v.id] = [...(samples[v.id] ?? []), result];
        });
      }
    }
    for (const [id, runs] of Object.entries(samples)) ctx.m[id] = medianRun(runs);
    for (const scenario of SCENARIOS) scenario.collect?.(ctx);
  } finally {
    await cleanupEverything(tmp);
  }
  if (interrupted) process.exit(130);

  for (const scenario of SCENARIOS) scenario.figures(ctx);
  sortFigures();

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
  for (const scenario of SCENARIOS) scenario.print?.(ctx);
  printLoad(ctx.m);
  if (distBuiltAt() !== info.dist_built_at) {
    info.dist_rebuilt_during_run = true;
    console.log("\nWARNING: dist/ was rebuilt while the bench ran: its figures mix two builds of the tool");
  }
  for (const error of errors) console.log(`\nFAILED ${error.variant}: ${error.message}`);

  const finishedAt = new Date();
  const result = {
    schema: 2,
    id: ID,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_s: Math.round((finishedAt - startedAt) / 1000),
    machine: info,
    settings: { services: N, health_interval_ms: HEALTH_INTERVAL_MS, rounds: ROUNDS, noop_runs: NOOP_RUNS },
    figures,
    measurements: JSON.parse(
      JSON.stringify(ctx.m, (key, value) => (["dir", "manifest", "cache"].includes(key) ? undefined : value)),
    ),
    errors,
  };
  const where = await writeResults(result, startedAt);
  console.log(`\nresults: ${where} (${result.duration_s} s)`);
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
