/**
 * The everyday cron case: the six are deployed (untimed), a new commit lands in each repository, and the
 * redeploy is timed — the tool against bash jobs with BuildKit doing the same from their clones (git pull,
 * docker build on a warm layer cache, replace the container, wait for /health).
 */

import { bashDeploy } from "../lib/baselines.mjs";
import { log } from "../lib/context.mjs";
import { removeBashProject, removeToolProject } from "../lib/engine.mjs";
import { baselineBuilder } from "../lib/proc.mjs";
import { figure, printBashPhases, printMeanPhases, printPhases, ratioTarget } from "../lib/report.mjs";
import { toolDeploy } from "../lib/tool.mjs";
import { RELEASE_FILE, releaseAll, sixServices, stampAll, variant } from "../lib/variants.mjs";

const warm = variant("warm", "tool", 28190);
const bashBkWarm = variant("bashBkWarm", "bash", 28250);
const engineWarm = variant("engineWarm", "bash", 28260);
/** The deploy checks after the new commit: the release it brought, on the stamp the layers were cached with. */
const FILES = ["stamp", RELEASE_FILE];

/**
 * The previous release deployed with this run's own stamp (so its layers are this variant's alone), then a new
 * commit in every repo, then the deploy that is timed: `deploy(options)` runs the variant's deploy.
 */
async function afterNewCommit({ repos }, stamp, deploy) {
  await stampAll(repos, stamp);
  await deploy({ fresh: true, what: "the previous release (not timed)" });
  await releaseAll(repos, `release ${stamp}`);
  log("a new commit in each of the six repositories");
  return deploy({ fresh: false, files: FILES, what: "warm, after a new commit" });
}

/**
 * Bash jobs with BuildKit after the new commit; `pulled`: their clones are pulled before the timer starts and
 * the jobs run no git (the engine floor).
 */
function bashJobs(variant, label, { pulled = false } = {}) {
  return {
    ...variant,
    label,
    needs: ({ have, bkCli }) => have.curl && bkCli,
    async run(ctx, stamp) {
      const services = sixServices(ctx.repos, variant);
      const builder = baselineBuilder.buildkit(ctx.bkCli.dir);
      const result = await afterNewCommit(ctx, stamp, (options) =>
        bashDeploy(ctx.tmp, variant, services, builder, { ...options, pulled: pulled && !options.fresh }),
      );
      await removeBashProject(variant.project);
      return result;
    },
  };
}

export default {
  variants: [
    {
      ...warm,
      label: "tool, warm new commit",
      async run(ctx, stamp) {
        const services = sixServices(ctx.repos, warm);
        const result = await afterNewCommit(ctx, stamp, (options) =>
          toolDeploy(ctx.tmp, warm, services, options),
        );
        await removeToolProject(warm.project);
        return result;
      },
    },
    bashJobs(bashBkWarm, "bash jobs, BuildKit, warm new commit"),
    bashJobs(engineWarm, "engine floor: the same, clones pulled before the timer", { pulled: true }),
  ],

  figures({ m, perRound }) {
    figure("warm_vs_bash_buildkit", "redeploy of 6 after a new commit vs bash jobs, BuildKit", {
      value: m.warm?.ms,
      unit: "s",
      baseline: m.bashBkWarm?.ms,
      baselineName: "bash bk",
      target: ratioTarget(0.8),
      rounds: perRound("warm", "bashBkWarm"),
    });
    figure("engine_floor_warm_vs_bash_buildkit", "engine floor of that redeploy vs bash jobs, BuildKit", {
      value: m.engineWarm?.ms,
      unit: "s",
      baseline: m.bashBkWarm?.ms,
      baselineName: "bash bk",
      note: "the docker work alone: any tool that builds and replaces the same way takes at least this",
      rounds: perRound("engineWarm", "bashBkWarm"),
    });
  },

  print({ m }) {
    if (m.warm) printPhases("the tool's redeploy after a new commit", m.warm.phases);
    if (m.bashBkWarm)
      printBashPhases("bash jobs with BuildKit, redeploy after a new commit", m.bashBkWarm.phases);
    if (m.engineWarm)
      printBashPhases(
        "the engine floor: those jobs without git (their clones pulled before)",
        m.engineWarm.phases,
      );
    if (m.warm && m.bashBkWarm)
      printMeanPhases(
        "mean per service after a new commit, tool vs bash jobs with BuildKit",
        m.warm.phases,
        m.bashBkWarm.phases,
      );
  },
};
