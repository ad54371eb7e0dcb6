import type { Readable } from "node:stream";
import type { Clock } from "../clock.js";
import { contextTar } from "../docker/build-context.js";
import type { ContainerState, Engine } from "../docker/engine.js";
import {
  buildOptions,
  type ContainerInputs,
  configHash,
  GENERATED_DOCKERFILE,
  hostBuilder,
  imageLabels,
  labelledDockerfile,
  labelsInDockerfile,
} from "../docker/specs.js";
import { errorMessage, inPhase, type Phase, PhaseError } from "../errors.js";
import type { StatusRecord } from "../events.js";
import type { FetchedRevision } from "../git/repo-cache.js";
import { httpClient } from "../health/http-client.js";
import type { BuildClaim } from "../hosts/build-slots.js";
import type { HostConnection } from "../hosts/pool.js";
import { asideNamePrefix, containerName, LABEL, nextNamePrefix } from "../labels.js";
import { decide } from "../plan/decide.js";
import type { DeployPlan, TargetPlan } from "../plan/plan.js";
import { liveRelease, rollbackTarget, shortId } from "../plan/releases.js";
import type { Release } from "../release.js";
import type { RunSettings } from "./execute.js";
import { runJob } from "./job.js";
import { type Observation, type ObservedContainer, observeTarget, repoOf } from "./observe.js";
import { proxyCutover } from "./proxy-cutover.js";
import { pruneImages } from "./prune.js";
import { type ImageSource, pullImage } from "./pull-image.js";
import { readReleases, recordRelease } from "./releases.js";
import { type PreparedContainer, prepareContainer, replaceContainer } from "./replace.js";
import type { RunRepos } from "./run-repos.js";
import type { TargetTracker } from "./tracker.js";

export interface TargetDeps {
  plan: DeployPlan;
  target: TargetPlan;
  tracker: TargetTracker;
  repos: RunRepos;
  /** The target host's connection (connecting may fail: that fails this target in phase `connect`). */
  connection: () => Promise<HostConnection>;
  /** The target's place in its host's build queue (claimed at once, so that it keeps its rank while fetching). */
  claimBuildSlot: (engine: Engine) => BuildClaim;
  /** Resolves to null when every dependency is healthy, else the reason this target must be skipped. */
  dependenciesReady: () => Promise<string | null>;
  /** Tells dependents waiting only for this target's start (`service_started`) that its container started. */
  started: () => void;
  /** Housekeeping after the target's result (image pruning): the run waits for it, its dependents do not. */
  afterwards: (work: Promise<void>) => void;
  settings: RunSettings;
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
  let phase: Phase = "connect";
  let buildClaim: BuildClaim | undefined;
  /** The new container, created while the target waits for its dependencies, until replaceContainer takes it. */
  let prepared: { engine: Engine; container: Promise<PreparedContainer> } | undefined;
  try {
    const connection = await deps.connection();
    const { engine } = connection;
    buildClaim = deps.claimBuildSlot(engine);

    phase = "deploy";
    const recovered = recoverContainer(engine, plan.project, service.name, (line) =>
      tracker.log("deploy", line),
    ).catch((error: unknown) => {
      throw inPhase("deploy", error);
    });
    const history = readReleases(engine, plan.project, service.name);
    history.catch(() => undefined); // awaited below, unless an earlier step fails first
    const rollback = plan.intent.rollbackTo;
    let current: ContainerState | null;
    let source: ImageSource;
    /** The wanted image's labels when the observation read them (a deploy from git). */
    let existingImage: Record<string, string> | null | undefined;
    if (rollback === undefined) {
      // The fetch (or pull) does not depend on the running container: both at once, each failing in its own phase.
      const { image } = service;
      if (image) {
        phase = "build";
        const pulled = pullImage(engine, plan.project, service.name, image, tracker, deps.signal).catch(
          (error: unknown) => {
            throw inPhase("build", error);
          },
        );
        [current, source] = await Promise.all([recovered, pulled]);
      } else {
        phase = "git";
        tracker.enter("cloning");
        const observation = await observeTarget(
          plan.project,
          target,
          deps.repos,
          { container: () => recovered, imageLabels: (tag) => engine.imageLabels(tag) },
          { onFetched: (revision) => logFetched(deps, revision) },
        );
        ({ current, existingImage } = observation.observed);
        source = sourceOf(observation);
      }
    } else {
      current = await recovered;
      source = await rollbackSource(engine, deps, rollback, current?.imageId ?? null, await history);
    }
    phase = "deploy";
    if (existingImage === undefined) existingImage = await engine.imageLabels(source.image);
    const releases = await history;
    const inputs = inputsOf(deps, source);

    const decision = decide(
      { current, existingImage },
      {
        commit: source.commit,
        buildHash: source.buildHash,
        configHash: configHash(service),
        force: plan.intent.redeploy,
        kind: service.kind,
        ...(source.imageId ? { imageId: source.imageId } : {}),
        // What the image was asked as: the manifest's reference, or a rolled-back release's.
        ...(service.image ? { reference: source.ref ?? service.image.reference } : {}),
      },
    );
    tracker.log("deploy", `${decision.action}: ${decision.reason}`);
    if (decision.action === "unchanged" && current) {
      return tracker.finish("unchanged", {
        container_id: current.id,
        image: current.image,
        image_id: current.imageId,
        live_image: current.image,
        live_commit: current.labels[LABEL.commit] || null,
        reason: decision.reason,
      });
    }
    // What serves now is what this deploy replaces: its release when it is one, by id (its tag may have moved).
    tracker.note({
      previous_image: liveRelease(releases, current?.imageId ?? null)?.tag ?? current?.image ?? null,
      previous_image_id: current?.imageId ?? null,
    });

    const { contextTree } = source;
    if (decision.action === "build" && contextTree) {
      phase = "build";
      tracker.enter("building");
      await buildClaim.run(() => buildImage(deps, engine, inputs, contextTree));
    }
    buildClaim.drop(); // from here on, it only waits: targets ranked after it may have its reserved slot

    phase = "deploy";
    // A service's new container is created while its dependencies are awaited (creating starts nothing): in a
    // depends_on chain, each link then only has to start once the one before it is healthy.
    if (service.kind === "service") {
      prepared = { engine, container: prepareContainer(engine, inputs, current) };
      prepared.container.catch(() => undefined); // its failure is reported by replaceContainer, after the wait
    }
    const blocked = await deps.dependenciesReady();
    if (blocked) return tracker.finish("skipped", { reason: blocked });
    deps.signal?.throwIfAborted();

    const context = {
      engine,
      host: target.host,
      httpDispatcher: connection.httpDispatcher,
      inputs,
      tracker,
      clock: deps.clock,
      noRollback: deps.settings.noRollback,
      signal: deps.signal,
      onStarted: deps.started,
    };
    const handedOver = prepared?.container;
    prepared = undefined; // replaceContainer owns it now: started, or removed on failure
    const result =
      service.kind === "job"
        ? await runJob(context, current)
        : service.proxy
          ? await proxyCutover(context, current, handedOver)
          : await replaceContainer(context, current, handedOver);
    if (result.state !== "succeeded" && source.imageId && current?.image === source.image) {
      // A failed rollback: the tag goes back to the image that serves again.
      await engine.tagImage(current.imageId, current.image).catch(() => undefined);
    }
    if (result.state === "succeeded" || result.state === "rolled_back") {
      // Bookkeeping, beside the dependents' starts (the run waits for it): the release, then the old images.
      const live = result.state === "succeeded" ? result.container_id : null;
      const recorded = live ? recordLive(engine, inputs, live, tracker, deps.clock) : Promise.resolve();
      const log = (line: string) => tracker.log("deploy", line);
      const pulled = service.image !== undefined;
      deps.afterwards(
        recorded.then(() => pruneImages(engine, plan.project, service.name, plan.keepImages, log, pulled)),
      );
    }
    return { ...tracker.status };
  } catch (error) {
    return failedIn(deps, phase, error, "container");
  } finally {
    buildClaim?.drop();
    // Skipped, interrupted or failed before the cutover: the container made for it must not stay behind.
    if (prepared) await removePrepared(prepared.engine, prepared.container);
  }
}

/** Removes a container prepareContainer made for a cutover that will not happen, once it is made. */
async function removePrepared(engine: Engine, container: Promise<PreparedContainer>): Promise<void> {
  const created = await container.catch(() => null);
  if (created?.ok) await engine.remove(created.id).catch(() => undefined);
}

/** The service log's line for a fetched ref. */
export function logFetched(deps: TargetDeps, revision: FetchedRevision): void {
  const tree = revision.contextTree.slice(0, 12);
  deps.tracker.log(
    "git",
    `${revision.kind} ${deps.target.branch} is at ${revision.commit} (context tree ${tree})`,
  );
}

/** What a deploy from git deploys: the image the observed commit builds. */
export function sourceOf(observation: Observation<ObservedContainer>): ImageSource {
  return {
    image: observation.image,
    commit: observation.wanted.commit,
    refKind: observation.revision.kind,
    buildHash: observation.wanted.buildHash,
    contextTree: observation.revision.contextTree,
  };
}

/**
 * The release a rollback deploys (plan/releases.ts chooses it): the one named by `--to`, else the one live
 * before the current. Its image is taken by id and its tag pointed back at it, so a tag that a later
 * `--force-rebuild` moved cannot put the wrong image back. Nothing is built.
 */
export async function rollbackSource(
  engine: Engine,
  deps: TargetDeps,
  to: string | null,
  liveImageId: string | null,
  releases: Release[],
): Promise<ImageSource> {
  const { target, tracker } = deps;
  const where = `${target.service.name} on host ${target.host.name}`;
  if (target.service.kind === "job" && !to) {
    throw new PhaseError(
      "deploy",
      `${where} is a job: rolling it back reruns it, so name a release with --to`,
    );
  }
  const choice = rollbackTarget(releases, liveImageId, to);
  if (!choice.ok) throw new PhaseError("deploy", `cannot roll back ${where}: ${choice.message}`);
  const { release } = choice;
  const name = `release ${release.tag} (image ${shortId(release.imageId)})`;
  if (!(await engine.inspectImage(release.imageId))) {
    throw new PhaseError("deploy", `cannot roll back ${where}: the image of ${name} is gone from the host`);
  }
  await engine.tagImage(release.imageId, release.tag);
  tracker.log("deploy", `rolling back to ${name}, deployed ${release.createdAt} by run ${release.runId}`);
  return {
    image: release.tag,
    imageId: release.imageId,
    commit: release.commit,
    ref: release.ref,
    refKind: release.refKind,
    buildHash: release.buildHash,
  };
}

/** Records the container that just passed its gate as a release; a failure to record never fails the deploy. */
async function recordLive(
  engine: Engine,
  inputs: ContainerInputs,
  containerId: string,
  tracker: TargetTracker,
  clock: Clock,
): Promise<void> {
  try {
    const live = await engine.inspectContainer(containerId);
    if (!live) throw new Error(`container ${containerId.slice(0, 12)} is gone`);
    const release = await recordRelease(engine, inputs, live.imageId, new Date(clock.now()));
    tracker.amend({ image_id: release.imageId });
    tracker.log("deploy", `recorded release ${release.tag} (image ${shortId(release.imageId)})`);
  } catch (error) {
    tracker.log(
      "deploy",
      `recording the release failed (rollback will not offer it): ${errorMessage(error)}`,
    );
  }
}

/**
 * The service's current container. A replace that was cut short (the process killed between stopping the
 * old container and starting the new one) leaves the old one renamed aside: it is put back first, so the
 * service is never left without its container.
 */
async function recoverContainer(
  engine: Engine,
  project: string,
  service: string,
  log: (line: string) => void,
): Promise<ContainerState | null> {
  const name = containerName(project, service);
  const current = await engine.inspectContainer(name);
  const containers = await engine.serviceContainers(project, service);
  // A new container that never took over is just removed.
  for (const unborn of containers.filter((container) => container.name.startsWith(nextNamePrefix(name)))) {
    log(`removing ${unborn.name}, created by an interrupted deploy`);
    await engine.remove(unborn.id);
  }
  const leftovers = containers.filter((container) => container.name.startsWith(asideNamePrefix(name)));
  if (leftovers.length === 0) return current;
  if (current) {
    for (const leftover of leftovers) {
      log(`removing ${leftover.name}, left aside by an interrupted deploy (${name} exists)`);
      await engine.remove(leftover.id);
    }
    return current;
  }
  const [restore, ...rest] = leftovers;
  if (!restore) return null;
  log(`restoring ${restore.name}, left aside by an interrupted deploy, as ${name}`);
  await engine.rename(restore.id, name);
  await engine.start(restore.id);
  for (const leftover of rest) await engine.remove(leftover.id);
  return engine.inspectContainer(name);
}

/**
 * Builds the service's image from its context tree, streamed from the repository cache into the engine,
 * with the engine's output going into the service's log.
 */
export async function buildImage(
  deps: TargetDeps,
  engine: Engine,
  inputs: ContainerInputs,
  contextTree: string,
): Promise<void> {
  const { tracker, target } = deps;
  const { noCache } = deps.settings;
  const builder = hostBuilder(target.host);
  // Ends the archive and the request: on Ctrl-C, when the context fails on its way (git could not archive the
  // tree), and once the build is over (an engine that failed early leaves git waiting to write the rest).
  const end = new AbortController();
  const signal = deps.signal ? AbortSignal.any([deps.signal, end.signal]) : end.signal;
  let contextFailure: unknown;
  const context = await contextOf(deps, inputs, contextTree, signal);
  context.on("error", (error) => {
    contextFailure ??= error;
    end.abort(error);
  });
  tracker.log(
    "build",
    `building ${inputs.image} with ${builder === "buildkit" ? "BuildKit" : "the classic builder"}${noCache ? " without cache (--force-rebuild)" : ""}`,
  );
  try {
    const building = engine.build(
      context,
      buildOptions({ ...inputs, contextTree }, { noCache, builder }),
      (line) => tracker.log("build", line),
      signal,
    );
    // The health probes' HTTP client loads while the engine builds: loading it takes the event loop for ~50 ms.
    void httpClient();
    const outcome = await building.catch((error: unknown) => {
      throw contextFailure ?? error;
    });
    if (contextFailure) throw contextFailure;
    if (!outcome.ok) throw new PhaseError("build", outcome.message);
  } finally {
    end.abort();
  }
  tracker.log("build", `built ${inputs.image}`);
}

/**
 * The build context as the engine gets it: the context tree's archive, filtered by its `.dockerignore`, with
 * the generated Dockerfile added when the builder needs the labels written into one.
 */
async function contextOf(
  deps: TargetDeps,
  inputs: ContainerInputs,
  contextTree: string,
  signal: AbortSignal,
): Promise<Readable> {
  const { service } = deps.target;
  const repo = repoOf(service);
  const generate = labelsInDockerfile(hostBuilder(deps.target.host), service);
  const [dockerignore, dockerfile] = await deps.repos.readFiles(repo, contextTree, [
    ".dockerignore",
    ...(generate ? [service.dockerfile] : []),
  ]);
  let extra: { name: string; content: string } | undefined;
  if (generate) {
    if (!dockerfile) {
      throw new PhaseError(
        "build",
        `${service.dockerfile} is not a file of the build context ${service.context}`,
      );
    }
    const labels = imageLabels({ ...inputs, contextTree });
    extra = { name: GENERATED_DOCKERFILE, content: labelledDockerfile(dockerfile.toString(), labels) };
  }
  return contextTar(deps.repos.archive(repo, contextTree, signal), {
    dockerignore: dockerignore?.toString() ?? null,
    dockerfile: service.dockerfile,
    ...(extra ? { extra } : {}),
  });
}

/** What the target deploys, from where its image came: noted on the status record, and the container's inputs. */
export function inputsOf(deps: TargetDeps, source: ImageSource): ContainerInputs {
  const { plan, target, tracker } = deps;
  tracker.note({ commit: source.commit || null, image: source.image, ref_kind: source.refKind });
  return {
    project: plan.project,
    service: target.service,
    host: target.host.name,
    image: source.image,
    commit: source.commit,
    branch: source.ref ?? target.branch,
    refKind: source.refKind,
    runId: plan.runId,
    buildHash: source.buildHash,
  };
}

/**
 * How a target ends when one of its steps throws before its replace took over: interrupted when Ctrl-C (or a lost
 * lock) stopped it, else failed in the phase it was in. What runs (`what`: the container, the Swarm service) was
 * not touched.
 */
export function failedIn(deps: TargetDeps, phase: Phase, error: unknown, what: string): StatusRecord {
  if (deps.signal?.aborted) {
    return deps.tracker.fail(
      "failed",
      "interrupted",
      `interrupted during ${phase}; the running ${what} was not touched`,
    );
  }
  const failure = inPhase(phase, error);
  return deps.tracker.fail("failed", failure.phase, failure.message);
}
