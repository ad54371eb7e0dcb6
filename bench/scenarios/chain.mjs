/**
 * The six as a `depends_on` chain (link-1 ← link-2 ← … ← link-6), cold: the tool with its default concurrency
 * against itself with `-j 1`, and how busy the machine was while builds ran and while none did.
 */
import { removeToolProject } from "../lib/engine.mjs";
import { figure, printPhases, ratioTarget } from "../lib/report.mjs";
import { toolDeploy } from "../lib/tool.mjs";
import { sixServices, stampAll, variant } from "../lib/variants.mjs";

const chain = variant("chain", "tool", 28150);
const chainSeq = variant("chainSeq", "tool", 28160);

/** A cold deploy of the chain as `v`, with `extra` arguments. */
async function chainCold({ tmp, repos }, stamp, v, extra) {
  await stampAll(repos, stamp);
  const result = await toolDeploy(tmp, v, sixServices(repos, v, { chain: true }), { extra });
  await removeToolProject(v.project);
  return result;
}

export default {
  variants: [
    { ...chain, label: "tool, chain", run: (ctx, stamp) => chainCold(ctx, stamp, chain, []) },
    {
      ...chainSeq,
      label: "tool -j 1, chain",
      run: (ctx, stamp) => chainCold(ctx, stamp, chainSeq, ["-j", "1"]),
    },
  ],

  figures({ m, perRound }) {
    figure("chain_vs_sequential", "6-deep depends_on chain vs -j 1", {
      value: m.chain?.ms,
      unit: "s",
      baseline: m.chainSeq?.ms,
      baselineName: "-j 1",
      target: ratioTarget(0.5),
      rounds: perRound("chain", "chainSeq"),
    });
  },

  print({ m }) {
    if (!m.chain) return;
    printPhases("the chain, with the tool's default concurrency", m.chain.phases);
    // Once the builds have ended, what is left is each link's start, one after the other, as depends_on asks.
    const { whileBuilding: on, whileNotBuilding: off } = m.chain.cpu ?? {};
    if (on && off) {
      console.log(
        `  machine: ${on.pct} % busy during the ${on.s.toFixed(1)} s when builds ran, ${off.pct} % during the ${off.s.toFixed(1)} s when none did`,
      );
    }
  },
};
