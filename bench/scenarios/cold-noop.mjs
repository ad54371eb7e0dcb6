/**
 * The six deployed cold (a new stamp each run, nothing cached) by the tool and by what an operator would run
 * instead, then the tool's and Compose's no-op rerun. The headline baselines build with BuildKit, as Docker ≥ 23
 * and Compose v2 do; the classic builder's rows, `-j 1` and Compose `--parallel` are informational.
 */

import { bashDeploy, composeCold } from "../lib/baselines.mjs";
import { secs } from "../lib/context.mjs";
import { removeBashProject, removeToolProject } from "../lib/engine.mjs";
import { meanOf } from "../lib/phases.mjs";
import { baselineBuilder, median } from "../lib/proc.mjs";
import { figure, n, printBashPhases, printMeanPhases, printPhases, ratioTarget } from "../lib/report.mjs";
import { toolDeploy, toolNoop } from "../lib/tool.mjs";
import { sixServices, stampAll, variant } from "../lib/variants.mjs";

const cold = variant("cold", "tool", 28100);
const seq = variant("seq", "tool", 28110);
const bash = variant("bash", "bash", 28120);
const compose = variant("compose", "compose", 28130);
const composePar = variant("composePar", "compose", 28140);
const bashBk = variant("bashBk", "bash", 28170);
const composeBk = variant("composeBk", "compose", 28180);

/** In round order: the headline three next to each other in time. */
const variants = [
  {
    ...cold,
    label: "tool, cold",
    async run({ tmp, repos, have }, stamp) {
      await stampAll(repos, stamp);
      const result = await toolDeploy(tmp, cold, sixServices(repos, cold), { rss: have.rss });
      result.noop = await toolNoop(result);
      await removeToolProject(cold.project);
      return result;
    },
  },
  {
    ...bashBk,
    label: "bash jobs, BuildKit",
    needs: ({ have, bkCli }) => have.curl && bkCli,
    async run({ tmp, repos, bkCli }, stamp) {
      await stampAll(repos, stamp);
      const builder = baselineBuilder.buildkit(bkCli.dir);
      const result = await bashDeploy(tmp, bashBk, sixServices(repos, bashBk), builder);
      await removeBashProject(bashBk.project);
      return result;
    },
  },
  {
    ...composeBk,
    label: "compose up --build, BuildKit",
    needs: ({ have, bkCli }) => have.compose && bkCli,
    async run({ tmp, repos, bkCli }, stamp) {
      await stampAll(repos, stamp);
      return composeCold(tmp, composeBk, sixServices(repos, composeBk), {
        noop: true,
        builderEnv: baselineBuilder.buildkit(bkCli.dir),
      });
    },
  },
  {
    ...compose,
    label: "compose up --build, classic",
    needs: ({ have }) => have.compose,
    async run({ tmp, repos }, stamp) {
      await stampAll(repos, stamp);
      return composeCold(tmp, compose, sixServices(repos, compose));
    },
  },
  {
    ...bash,
    label: "bash jobs, classic",
    needs: ({ have }) => have.curl,
    async run({ tmp, repos }, stamp) {
      await stampAll(repos, stamp);
      const result = await bashDeploy(tmp, bash, sixServices(repos, bash), baselineBuilder.classic);
      await removeBashProject(bash.project);
      return result;
    },
  },
  {
    ...seq,
    label: "tool -j 1, cold",
    async run({ tmp, repos }, stamp) {
      await stampAll(repos, stamp);
      const result = await toolDeploy(tmp, seq, sixServices(repos, seq), { extra: ["-j", "1"] });
      await removeToolProject(seq.project);
      return result;
    },
  },
  {
    ...composePar,
    label: "compose build --parallel, classic",
    needs: ({ have }) => have.compose,
    async run({ tmp, repos }, stamp) {
      await stampAll(repos, stamp);
      return composeCold(tmp, composePar, sixServices(repos, composePar), { parallelBuild: true });
    },
  },
];

export default {
  variants,

  /** No-op figures are the median of every no-op run; the peak RSS the highest of the cold runs. */
  collect({ m, samples }) {
    if (samples.cold) {
      const noops = samples.cold.flatMap((run) => run.noop.runs);
      m.noop = { ...samples.cold[samples.cold.length - 1].noop, ms: median(noops), runs: noops };
      m.cold.maxRssKb = Math.max(...samples.cold.map((run) => run.maxRssKb ?? 0)) || null;
      delete m.cold.noop;
    }
    if (samples.composeBk) {
      const noops = samples.composeBk.flatMap((run) => run.noop.runs);
      m.composeBk.noop = { ms: median(noops), runs: noops };
    }
  },

  figures({ m, perRound }) {
    /** The cold deploy of 6 against the median run of another deploy variant (same round ratios beside it). */
    const coldVs = (id, name, baseline, baselineName, target = null) =>
      figure(id, name, {
        value: m.cold?.ms,
        unit: "s",
        baseline: m[baseline]?.ms,
        baselineName,
        target,
        rounds: perRound("cold", baseline),
      });
    coldVs(
      "cold_vs_bash_buildkit",
      "cold deploy of 6 vs bash jobs, BuildKit",
      "bashBk",
      "bash bk",
      ratioTarget(1.0),
    );
    coldVs(
      "cold_vs_compose_buildkit",
      "cold deploy of 6 vs Compose up --build, BuildKit",
      "composeBk",
      "compose bk",
      ratioTarget(0.55),
    );
    figure("noop_vs_compose", "no-op rerun vs Compose up -d", {
      value: m.noop?.ms,
      unit: "s",
      baseline: m.composeBk?.noop?.ms,
      baselineName: "compose",
      target: ratioTarget(0.8),
      rounds: perRound("cold", "composeBk", (run) => run.noop.ms),
    });
    figure("deploy_rss_mb", "peak RSS of the cold deploy of 6", {
      value: m.cold?.maxRssKb == null ? null : m.cold.maxRssKb / 1024,
      unit: "MB",
      target: { op: "<", limit: 200, on: "value" },
    });
    coldVs("cold_vs_bash", "cold deploy of 6 vs bash jobs, classic builder", "bash", "bash");
    coldVs("cold_vs_compose", "cold deploy of 6 vs Compose up --build, classic", "compose", "compose");
    coldVs(
      "cold_vs_compose_parallel",
      "cold deploy of 6 vs Compose build --parallel, classic",
      "composePar",
      "compose -p",
    );
    coldVs("cold_vs_sequential", "cold deploy of 6 vs the tool with -j 1", "seq", "-j 1");
    figure("compose_clone_s", "clone of the 6 for Compose (not in its figure)", {
      value: m.composeBk?.cloneMs,
      unit: "s",
    });
  },

  print({ m }) {
    if (m.cold)
      printPhases(
        "where the tool's cold deploy of 6 spends its time (from logs/<service>.log)",
        m.cold.phases,
      );
    if (m.bashBk) printBashPhases("bash jobs with BuildKit, cold", m.bashBk.phases);
    if (m.cold && m.bashBk)
      printMeanPhases(
        "mean per service, tool (cold) vs bash jobs with BuildKit",
        m.cold.phases,
        m.bashBk.phases,
      );
    if (m.noop) {
      const services = Object.values(m.noop.phases.services);
      console.log(
        `\nno-op rerun: ${n(m.noop.phases.startupMs)} ms to the first service event, git ${n(meanOf(services, "git"))} ms and ${n(meanOf(services, "total"))} ms per service, ${n(m.noop.phases.teardownMs)} ms to exit`,
      );
    }
    if (m.composeBk) {
      console.log(
        `compose with BuildKit: up -d --build ${secs(m.composeBk.commandMs)} s, then every /health within ${secs(m.composeBk.healthWaitMs)} s; the clone before it (not counted) ${secs(m.composeBk.cloneMs)} s`,
      );
    }
  },
};
