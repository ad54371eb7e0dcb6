/**
 * How fast a command answers: `deploy --help` (against `node -e 0`, the floor) and `deploy plan` over 50
 * services in 5 monorepos, each also without the compile cache. Measured once, before the deploy rounds.
 */
import { join } from "node:path";
import { CLI, log, wanted } from "../lib/context.mjs";
import { removeToolProject } from "../lib/engine.mjs";
import { makeMonorepos, writeManifest } from "../lib/fixtures.mjs";
import { cleanEnv, describeFailure, median, run } from "../lib/proc.mjs";
import { figure, n } from "../lib/report.mjs";
import { variant } from "../lib/variants.mjs";

const HELP_RUNS = 10;
const PLAN_RUNS = 5;
const PLAN_REPOS = 5;
const PLAN_PER_REPO = 10;
/** Host ports 28200–28249: planned, never deployed. */
const plan = variant("plan", "tool", 28200);

/** Every run compiles the CLI's code, as a command's first run after a build does. */
const NO_COMPILE_CACHE = { NODE_DISABLE_COMPILE_CACHE: "1" };

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

async function helpTimes(tmp) {
  log(`--help: ${HELP_RUNS} runs`);
  const help = await timesOf(HELP_RUNS, process.execPath, [CLI, "--help"], () => ({ cwd: tmp }));
  const uncached = await timesOf(HELP_RUNS, process.execPath, [CLI, "--help"], () => ({
    cwd: tmp,
    env: cleanEnv(NO_COMPILE_CACHE),
  }));
  const node = await timesOf(HELP_RUNS, process.execPath, ["-e", "0"], () => ({ cwd: tmp }));
  return { help, uncached, node };
}

/** `deploy plan all` over 50 services in 5 monorepos: first with an empty cache, then warm, under GNU time. */
async function planTimes(tmp, rss) {
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
        port: plan.port + r * PLAN_PER_REPO + s,
        ...(s > 0 ? { dependsOn: [`m${r}-app-00`] } : {}),
      });
    }
  });
  const manifest = await writeManifest(dir, plan.project, services);
  const cache = join(dir, "cache");
  const args = [CLI, "plan", "all", "main", "-f", manifest, "--cache-dir", cache];
  log(`plan: ${services.length} services in ${PLAN_REPOS} repos, 1 cold-cache + ${PLAN_RUNS} warm runs`);
  const timed = () => ({ cwd: dir, rssFile: rss ? join(dir, "time-v.txt") : undefined });
  const cold = await timesOf(1, process.execPath, args, timed);
  const warm = await timesOf(PLAN_RUNS, process.execPath, args, timed);
  const uncached = await timesOf(PLAN_RUNS, process.execPath, args, () => ({
    cwd: dir,
    env: cleanEnv(NO_COMPILE_CACHE),
  }));
  return { services: services.length, cold, warm, uncached };
}

export default {
  variants: [plan],

  async once(ctx) {
    if (wanted("help"))
      await ctx.attempt("help", async () => {
        ctx.m.help = await helpTimes(ctx.tmp);
      });
    if (wanted("plan"))
      await ctx.attempt("plan", async () => {
        ctx.m.plan = await planTimes(ctx.tmp, ctx.have.rss);
        await removeToolProject(plan.project);
      });
  },

  figures({ m }) {
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
    figure("plan50_cold_ms", "plan of 50 services (empty repo cache)", {
      value: m.plan?.cold.ms,
      unit: "ms",
    });
    figure("plan50_uncompiled_ms", "plan of 50 services, no compile cache", {
      value: m.plan?.uncached.ms,
      unit: "ms",
    });
    figure("help_uncompiled_ms", "--help, no compile cache (median of 10)", {
      value: m.help?.uncached.ms,
      unit: "ms",
    });
    figure("plan50_rss_mb", "peak RSS of plan of 50 services", {
      value: m.plan?.warm.maxRssKb == null ? null : m.plan.warm.maxRssKb / 1024,
      unit: "MB",
    });
    figure("node_startup_ms", "node -e 0 process time (median of 10)", {
      value: m.help?.node.ms,
      unit: "ms",
    });
  },

  print({ m }) {
    if (m.plan && m.help) {
      console.log(
        `\nplan of ${m.plan.services}: ${n(m.plan.warm.ms - m.help.help.ms)} ms more than --help (whose time is mostly start-up): fetching 5 repos, inspecting the engine`,
      );
    }
  },
};
