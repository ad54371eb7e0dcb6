import type { Engine } from "../docker/engine.js";
import type { ContainerInputs } from "../docker/specs.js";
import type { SwarmEngine, SwarmService } from "../docker/swarm-engine.js";
import { errorMessage, type Phase, PhaseError } from "../errors.js";
import type { StatusRecord } from "../events.js";
import type { BuildClaim } from "../hosts/build-slots.js";
import { LABEL } from "../labels.js";
import type { RegistrySpec } from "../manifest/types.js";
import { decide } from "../plan/decide.js";
import { liveRelease, shortId } from "../plan/releases.js";
import type { Release } from "../release.js";
import { swarmGate } from "../swarm/gate.js";
import { observedService, replicaFacts } from "../swarm/observe.js";
import { rollBack } from "../swarm/roll-back.js";
import { convergeTimeoutMs } from "../swarm/rollout.js";
import { registryAuth, swarmConfigHash, swarmServiceName, swarmServiceSpec } from "../swarm/spec.js";
import { waitRollout } from "../swarm/wait.js";
import {
  buildImage,
  failedIn,
  inputsOf,
  logFetched,
  rollbackSource,
  sourceOf,
  type TargetDeps,
} from "./deploy-target.js";
import { observeTarget, swarmNaming } from "./observe.js";
import { pruneImages } from "./prune.js";
import type { ImageSource } from "./pull-image.js";
import { readReleases, recordRelease } from "./releases.js";

/**
 * One service on a Swarm (SPEC §11), the same steps as a container target: observe → decide → build (once, on
 * the manager) → push → create or update the Swarm service → gate → record. The scheduler cannot tell them
 * apart: it gets a StatusRecord either way.
 *
 * Releases are recorded as on a plain host: never-started record containers on the manager (run/releases.ts),
 * which built the image and keeps it. So `deploy releases` and `rollback` read one history for both kinds of
 * target, and the record holds the image against pruning. The Swarm service's own labels say which release is
 * live (its image id on the manager). Swarm's native rollback (PreviousSpec) undoes a failed update;
 * `deploy rollback` picks from the recorded releases (any of them, not only the previous spec) and deploys it
 * through this same path, gate included.
 */
export async function deploySwarmTarget(deps: TargetDeps): Promise<StatusRecord> {
  const { plan, target, tracker } = deps;
  const { service } = target;
  let phase: Phase = "connect";
  let buildClaim: BuildClaim | undefined;
  try {
    const connection = await deps.connection();
    const { engine } = connection;
    const swarm = engine.swarm();
    buildClaim = deps.claimBuildSlot(engine);
    phase = "deploy";
    const registry = plan.registry;
    if (!registry) throw new PhaseError("deploy", "a Swarm service needs the manifest's `registry`");
    if (!(await swarm.isManager())) {
      throw new PhaseError(
        "deploy",
        `host ${target.host.name} is not a Swarm manager (run \`docker swarm init\` there, or drop \`swarm: true\`)`,
      );
    }
    const name = swarmServiceName(plan.project, service.name);
    const [current, releases] = await Promise.all([
      observedService(swarm, name),
      readReleases(engine, plan.project, service.name),
    ]);
    const rollback = plan.intent.rollbackTo;
    let source: ImageSource;
    /** The wanted image's labels when the observation read them (a deploy from git). */
    let existingImage: Record<string, string> | null | undefined;
    if (rollback === undefined) {
      phase = "git";
      tracker.enter("cloning");
      const observation = await observeTarget(
        plan.project,
        target,
        deps.repos,
        { container: async () => current?.observed ?? null, imageLabels: (tag) => engine.imageLabels(tag) },
        { naming: swarmNaming(plan, service), onFetched: (revision) => logFetched(deps, revision) },
      );
      existingImage = observation.observed.existingImage;
      source = sourceOf(observation);
    } else {
      source = await rollbackSource(engine, deps, rollback, current?.imageId ?? null, releases);
    }
    phase = "deploy";
    if (existingImage === undefined) existingImage = await engine.imageLabels(source.image);
    const inputs = inputsOf(deps, source);
    const decision = decide(
      { current: current?.observed ?? null, existingImage },
      {
        commit: source.commit,
        buildHash: source.buildHash,
        configHash: swarmConfigHash(service, registry),
        force: plan.intent.redeploy,
        kind: "service",
        ...(source.imageId ? { imageId: source.imageId } : {}),
      },
    );
    tracker.log("deploy", `${decision.action}: ${decision.reason}`);
    if (decision.action === "unchanged" && current) {
      return tracker.finish("unchanged", {
        image: current.tag,
        image_id: current.imageId,
        live_image: current.tag,
        live_commit: current.service.labels[LABEL.commit] ?? null,
        reason: decision.reason,
        ...current.facts,
      });
    }
    tracker.note({
      previous_image: liveRelease(releases, current?.imageId ?? null)?.tag ?? current?.tag ?? null,
      previous_image_id: current?.imageId ?? null,
    });

    if (decision.action === "build" && source.contextTree) {
      phase = "build";
      tracker.enter("building");
      const tree = source.contextTree;
      await buildClaim.run(() => buildImage(deps, engine, inputs, tree));
    }
    buildClaim.drop();
    phase = "build";
    const { imageId, digest } = await pushImage(engine, swarm, registry, inputs.image, deps);

    phase = "deploy";
    for (const network of service.networks) await swarm.ensureOverlayNetwork(network, plan.project);
    const blocked = await deps.dependenciesReady();
    if (blocked) return tracker.finish("skipped", { reason: blocked });
    deps.signal?.throwIfAborted();

    const spec = swarmServiceSpec({
      ...inputs,
      registry,
      digest,
      imageId,
      forceUpdate: forceUpdateOf(current?.service, `${inputs.image}@${digest}`),
    });
    tracker.enter("deploying");
    let serviceId: string;
    if (current) {
      await swarm.updateService(current.service.id, current.service.version, spec, registryAuth(registry));
      serviceId = current.service.id;
      tracker.log(
        "deploy",
        `updated service ${name} (${service.update?.order ?? "stop-first"}) to ${inputs.image}`,
      );
    } else {
      serviceId = await swarm.createService(spec, registryAuth(registry));
      tracker.log("deploy", `created service ${name} (${serviceId.slice(0, 12)}) from ${inputs.image}`);
    }
    return await gateAndRecord({
      deps,
      engine,
      swarm,
      serviceId,
      inputs,
      imageId,
      image: `${inputs.image}@${digest}`,
      existed: current !== null,
    });
  } catch (error) {
    return failedIn(deps, phase, error, "service");
  } finally {
    buildClaim?.drop();
  }
}

/** Pushes the image; its id on the manager and the registry's digest. A refused push fails the target. */
async function pushImage(
  engine: Engine,
  swarm: SwarmEngine,
  registry: RegistrySpec,
  tag: string,
  deps: TargetDeps,
): Promise<{ imageId: string; digest: string }> {
  const image = await engine.inspectImage(tag);
  if (!image) throw new PhaseError("build", `image ${tag} is not on the manager`);
  deps.tracker.log("build", `pushing ${tag}`);
  const pushed = await swarm
    .push(tag, registryAuth(registry), (line) => deps.tracker.log("build", line), deps.signal)
    .catch((error: unknown) => ({ ok: false as const, message: errorMessage(error) }));
  if (!pushed.ok) {
    throw new PhaseError(
      "build",
      `pushing ${tag} to ${registry.url} failed: ${pushed.message}; the running service was not touched`,
    );
  }
  deps.tracker.log("build", `pushed ${tag}@${pushed.digest}`);
  return { imageId: image.id, digest: pushed.digest };
}

/** Swarm restarts tasks only when the spec changes: the same image again (a recreate) raises ForceUpdate. */
function forceUpdateOf(current: SwarmService | undefined, image: string): number {
  const template = current?.spec.TaskTemplate as { ForceUpdate?: number } | undefined;
  const now = template?.ForceUpdate ?? 0;
  return current && current.image === image ? now + 1 : now;
}

/** Waits for the rollout and the gate; records the release, or rolls back (Swarm's own rollback). */
async function gateAndRecord(ctx: {
  deps: TargetDeps;
  engine: Engine;
  swarm: SwarmEngine;
  serviceId: string;
  inputs: ContainerInputs;
  imageId: string;
  image: string;
  existed: boolean;
}): Promise<StatusRecord> {
  const { deps, swarm, serviceId, inputs } = ctx;
  const { tracker, plan } = deps;
  tracker.enter("checking");
  const log = (line: string) => tracker.log("health", line);
  let failure: { phase: Phase; message: string };
  try {
    const rollout = await waitRollout({
      swarm,
      serviceId,
      image: ctx.image,
      timeoutMs: convergeTimeoutMs(inputs.service),
      clock: deps.clock,
      ...(deps.signal ? { signal: deps.signal } : {}),
      log,
    });
    if (rollout.kind === "converged") {
      const gate = await swarmGate({
        swarm,
        serviceId,
        service: inputs.service,
        image: ctx.image,
        tasks: rollout.tasks,
        httpDispatcher: (await deps.connection()).httpDispatcher,
        clock: deps.clock,
        ...(deps.signal ? { signal: deps.signal } : {}),
        log,
      });
      if (gate.ok) {
        log(gate.detail);
        const facts = replicaFacts(inputs.service.replicas ?? 1, rollout.tasks);
        const release = await record(ctx.engine, inputs, ctx.imageId, deps);
        tracker.finish("succeeded", {
          image_id: ctx.imageId,
          live_image: inputs.image,
          live_commit: inputs.commit,
          reason: `${facts.replicas.running} replica(s) of ${inputs.commit.slice(0, 12)} healthy`,
          ...facts,
        });
        if (release)
          tracker.log("deploy", `recorded release ${release.tag} (image ${shortId(release.imageId)})`);
        deps.afterwards(pruneImages(ctx.engine, plan.project, inputs.service.name, plan.keepImages, log));
        return { ...tracker.status };
      }
      failure = { phase: "health", message: gate.message };
    } else {
      failure = { phase: "health", message: rollout.message };
    }
  } catch (error) {
    failure = deps.signal?.aborted
      ? { phase: "interrupted", message: "interrupted during the rollout" }
      : { phase: "health", message: errorMessage(error) };
  }
  if (deps.settings.noRollback && failure.phase !== "interrupted") {
    return tracker.fail("failed", failure.phase, `${failure.message}; left as it is (--no-rollback)`);
  }
  const undone = await rollBack({
    swarm,
    serviceId,
    existed: ctx.existed,
    clock: deps.clock,
    log: (line) => tracker.log("deploy", line),
  });
  const state = undone.ok && ctx.existed ? "rolled_back" : "failed";
  return tracker.fail(state, failure.phase, `${failure.message}; ${undone.message}`, {
    ...(undone.facts ?? {}),
  });
}

async function record(
  engine: Engine,
  inputs: ContainerInputs,
  imageId: string,
  deps: TargetDeps,
): Promise<Release | null> {
  try {
    return await recordRelease(engine, inputs, imageId, new Date(deps.clock.now()));
  } catch (error) {
    deps.tracker.log(
      "deploy",
      `recording the release failed (rollback will not offer it): ${errorMessage(error)}`,
    );
    return null;
  }
}
