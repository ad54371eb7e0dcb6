import { packContext } from "../docker/build-context.js";
import type { ContainerState, Engine } from "../docker/engine.js";
import { buildHash, buildOptions, type ContainerInputs, configHash } from "../docker/specs.js";
import { inPhase, PhaseError } from "../errors.js";
import type { Clock } from "../health/clock.js";
import type { HostConnection } from "../hosts/pool.js";
import { containerName, imageTag, LABEL } from "../labels.js";
import type { DeployPlan, TargetPlan } from "../plan/plan.js";
import type { StatusRecord } from "./events.js";
import { pruneImages } from "./prune.js";
import { replaceContainer } from "./replace.js";
import type { RunRepos } from "./run-repos.js";
import type { TargetTracker } from "./tracker.js";

export interface TargetDeps {
  plan: DeployPlan;
  target: TargetPlan;
  tracker: TargetTracker;
  repos: RunRepos;
  /** The target host's connection (connecting may fail: that fails this target in phase `connect`). */
  connection: () => Promise<HostConnection>;
  /** Runs a build within the host's build limit. */
  buildSlot: <T>(work: () => Promise<T>) => Promise<T>;
  /** Resolves to null when every dependency is healthy, else the reason this target must be skipped. */
  dependenciesReady: () => Promise<string | null>;
  clock: Clock;
  signal?: AbortSignal;
}

/**
 * One service on one host: fetch → (unchanged?) → build or reuse the image → wait for dependencies →
 * health-gated replace. Only the container start waits for dependencies; fetch and build never do.
 */
export async function deployTarget(deps: TargetDeps): Promise<StatusRecord> {
  const { plan, target, tracker } = deps;
  const { service } = target;
  let phase: PhaseError["phase"] = "connect";
  try {
    const connection = await deps.connection();
    const { engine } = connection;

    phase = "git";
    tracker.enter("cloning");
    const revision = await deps.repos.fetch(service.repo, target.branch, service.context);
    const image = imageTag(plan.project, service.name, revision.commit);
    tracker.log(
      "git",
      `${target.branch} is at ${revision.commit} (context tree ${revision.contextTree.slice(0, 12)})`,
    );
    tracker.note({ commit: revision.commit, image });

    const inputs: ContainerInputs = {
      project: plan.project,
      service,
      host: target.host.name,
      image,
      commit: revision.commit,
      branch: target.branch,
      runId: plan.runId,
      buildHash: buildHash({ service, contextTree: revision.contextTree }),
    };

    phase = "deploy";
    const current = await engine.inspectContainer(containerName(plan.project, service.name));
    if (current && !plan.options.forceRebuild && isUnchanged(current, inputs)) {
      const runningCommit = current.labels[LABEL.commit] ?? "";
      const why =
        runningCommit === revision.commit
          ? `already runs ${runningCommit.slice(0, 12)} with this configuration`
          : `the build context of ${revision.commit.slice(0, 12)} is identical to the running ${runningCommit.slice(0, 12)}`;
      tracker.log("deploy", `unchanged: ${why}`);
      return tracker.finish("unchanged", {
        container_id: current.id,
        image: current.image,
        live_image: current.image,
        live_commit: runningCommit || null,
        reason: why,
      });
    }

    phase = "build";
    tracker.enter("building");
    await deps.buildSlot(() => buildImage(deps, engine, inputs, revision.contextTree));

    phase = "deploy";
    const blocked = await deps.dependenciesReady();
    if (blocked) return tracker.finish("skipped", { reason: blocked });
    deps.signal?.throwIfAborted();

    const result = await replaceContainer(
      {
        engine,
        httpDispatcher: connection.httpDispatcher,
        inputs,
        tracker,
        clock: deps.clock,
        noRollback: plan.options.noRollback,
        signal: deps.signal,
      },
      current,
    );
    if (result.state === "succeeded") {
      await pruneImages(engine, plan, service.name, (line) => tracker.log("deploy", line));
    }
    return result;
  } catch (error) {
    if (deps.signal?.aborted) {
      return tracker.fail(
        "failed",
        "interrupted",
        `interrupted during ${phase}; the running container was not touched`,
      );
    }
    const failure = inPhase(phase, error);
    return tracker.fail("failed", failure.phase, failure.message);
  }
}

/** A running container with the same build inputs and configuration needs nothing done. */
function isUnchanged(current: ContainerState, inputs: ContainerInputs): boolean {
  return (
    current.running &&
    current.labels[LABEL.buildHash] === inputs.buildHash &&
    current.labels[LABEL.configHash] === configHash(inputs.service)
  );
}

/** Builds the service's image, or reuses the one already tagged for this commit when its build inputs match. */
async function buildImage(
  deps: TargetDeps,
  engine: Engine,
  inputs: ContainerInputs,
  contextTree: string,
): Promise<void> {
  const { tracker, plan, target } = deps;
  const forced = plan.options.forceRebuild;
  if (!forced) {
    const labels = await engine.imageLabels(inputs.image);
    if (labels?.[LABEL.buildHash] === inputs.buildHash) {
      tracker.log("build", `image ${inputs.image} already exists for these build inputs: reused`);
      return;
    }
  }
  const dir = await deps.repos.exportTree(target.service.repo, contextTree);
  const context = await packContext(dir, target.service.dockerfile);
  tracker.log("build", `building ${inputs.image}${forced ? " without cache (--force-rebuild)" : ""}`);
  const outcome = await engine.build(
    context,
    buildOptions({ ...inputs, contextTree }, { noCache: forced }),
    (line) => tracker.log("build", line),
    deps.signal,
  );
  if (!outcome.ok) throw new PhaseError("build", outcome.message);
  tracker.log("build", `built ${inputs.image}`);
}
