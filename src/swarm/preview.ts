import { buildHash } from "../docker/specs.js";
import type { HostPool } from "../hosts/pool.js";
import { LABEL } from "../labels.js";
import { decide } from "../plan/decide.js";
import type { DeployPlan, TargetPlan } from "../plan/plan.js";
import type { RunRepos } from "../run/run-repos.js";
import { observedService } from "./observe.js";
import { swarmConfigHash, swarmImageTag, swarmServiceName } from "./spec.js";
import { SwarmEngine } from "./swarm-engine.js";

/** `deploy plan` for a target on a Swarm: the same decision the deploy makes, read-only (the service is inspected). */
export async function previewSwarmTarget(
  plan: DeployPlan,
  target: TargetPlan,
  hosts: HostPool,
  repos: RunRepos,
) {
  const { service } = target;
  const registry = plan.registry;
  if (!registry) throw new Error("a Swarm service needs the manifest's `registry`");
  const [revision, engine] = await Promise.all([
    // A Swarm service is built from git (the manifest refuses image services on a Swarm).
    repos.fetch(service.repo as string, target.branch, service.context, service.gitTimeoutMs),
    hosts.engine(target.host),
  ]);
  const current = await observedService(
    new SwarmEngine(engine.docker),
    swarmServiceName(plan.project, service.name),
  );
  const image = swarmImageTag(registry, plan.project, service.name, revision.commit);
  const decision = decide(
    { current: current?.observed ?? null, existingImage: await engine.imageLabels(image) },
    {
      commit: revision.commit,
      buildHash: buildHash({ service, contextTree: revision.contextTree }),
      configHash: swarmConfigHash(service, registry),
      force: plan.options.forceRebuild,
      kind: "service",
    },
  );
  return {
    commit: revision.commit,
    ref_kind: revision.kind,
    image,
    action: decision.action,
    reason: decision.reason,
    running_image: current?.tag ?? null,
    running_commit: current?.service.labels[LABEL.commit] ?? null,
  };
}
