/** The tool's side of a deploy variant: `deploy all main` over the six, timed, checked, and its phases read back. */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { CLI, log, NOOP_RUNS, secs } from "./context.mjs";
import { cpuMeter } from "./cpu.mjs";
import { removeToolProject } from "./engine.mjs";
import { writeManifest } from "./fixtures.mjs";
import { toolRunPhases } from "./phases.mjs";
import { describeFailure, median, run } from "./proc.mjs";
import { allHealthy, verifyContent } from "./verify.mjs";

function toolArgs(manifest, cache, extra = []) {
  return [CLI, "all", "main", "-f", manifest, "--output", "quiet", "--cache-dir", cache, ...extra];
}

/**
 * `deploy all main` of `services` as `variant`, in `<tmp>/<variant id>` (manifest, repository cache, logs).
 * `fresh`: the project and the cache are removed first (a cold deploy); otherwise the run finds what the last
 * one left. `files`: what verifyContent checks afterwards.
 */
export async function toolDeploy(
  tmp,
  variant,
  services,
  { extra = [], rss = false, fresh = true, files = ["stamp"], what = "cold" } = {},
) {
  const dir = join(tmp, variant.id);
  const cache = join(dir, "cache");
  if (fresh) {
    await removeToolProject(variant.project);
    await rm(cache, { recursive: true, force: true });
  }
  const manifest = await writeManifest(dir, variant.project, services);
  log(`${variant.id}: deploy all (${variant.project}${extra.length ? ` ${extra.join(" ")}` : ""}), ${what}`);
  const meter = cpuMeter({ sampleMs: 100 });
  const result = await run(process.execPath, toolArgs(manifest, cache, extra), {
    cwd: dir,
    rssFile: rss ? join(dir, "time-v.txt") : undefined,
  });
  const cpu = meter.stop();
  if (result.code !== 0) throw new Error(`${variant.id}: the tool failed: ${describeFailure(result)}`);
  await allHealthy(services);
  await verifyContent(variant.id, services, files);
  const phases = await toolRunPhases(
    join(dir, "logs"),
    services.map((s) => s.name),
    result,
  );
  // Only a part of the run with idle CPUs can still be shortened by running more at once.
  const builds = Object.values(phases.services).filter((p) => p.buildStartAt != null && p.builtAt != null);
  const building = (at) => builds.some((p) => p.buildStartAt <= at && at < p.builtAt);
  const during = (test) =>
    meter.busyWhere((at) => at >= result.startEpochMs && at <= result.endEpochMs && test(at));
  cpu.whileBuilding = during(building);
  cpu.whileNotBuilding = during((at) => !building(at));
  log(`${variant.id}: ${secs(result.ms)} s`);
  return { ms: result.ms, maxRssKb: result.maxRssKb, cpu, phases, dir, manifest, cache };
}

/** The tool again over what it just deployed: every service must be `unchanged`. Median of NOOP_RUNS. */
export async function toolNoop(deployed) {
  const times = [];
  let last = null;
  for (let i = 0; i < NOOP_RUNS; i++) {
    const result = await run(process.execPath, toolArgs(deployed.manifest, deployed.cache), {
      cwd: deployed.dir,
    });
    last = result;
    if (result.code !== 0) throw new Error(`no-op rerun failed: ${describeFailure(result)}`);
    const summary = JSON.parse(await readFile(join(deployed.dir, "logs", "last-run.json"), "utf8"));
    const changed = summary.services.filter((s) => s.state !== "unchanged");
    if (changed.length > 0) {
      throw new Error(`no-op rerun changed ${changed.map((s) => `${s.service}: ${s.state}`).join(", ")}`);
    }
    times.push(result.ms);
  }
  log(`no-op rerun: ${times.map(secs).join(" / ")} s`);
  const phases = await toolRunPhases(join(deployed.dir, "logs"), Object.keys(deployed.phases.services), last);
  return { ms: median(times), runs: times, phases };
}
