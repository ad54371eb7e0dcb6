import type { Engine, ListedContainer } from "../docker/engine.js";
import { buildHash, configHash } from "../docker/specs.js";
import { errorMessage } from "../errors.js";
import type { RefKind } from "../git/refs.js";
import type { HostPool } from "../hosts/pool.js";
import { containerName, imageTag, LABEL } from "../labels.js";
import type { HostSpec, ImageSpec } from "../manifest/types.js";
import { formatTable } from "../report/table.js";
import type { RunRepos } from "../run/run-repos.js";
import { type Action, decide, needsPull } from "./decide.js";
import type { DeployPlan, TargetPlan } from "./plan.js";

export interface TargetPreview {
  service: string;
  host: string;
  branch: string;
  /** What `branch` turned out to be; null when git could not tell (the row's action is then `error`). */
  ref_kind: RefKind | null;
  commit: string | null;
  image: string | null;
  /** `pull`: an image service whose image the deploy pulls first (what runs after that is known only then). */
  action: Action | "pull" | "error";
  reason: string;
  running_image: string | null;
  running_commit: string | null;
  /** 1 = starts first; a target starts once every target of a lower step it depends on is healthy. */
  step: number;
  waits_for: string[];
}

/**
 * What `deploy` would do for each target, read-only for the hosts: the branch is fetched into the local
 * cache (to know the commit and its build context), the engine is only inspected, nothing is built or run.
 */
export async function previewPlan(
  plan: DeployPlan,
  hosts: HostPool,
  repos: RunRepos,
): Promise<TargetPreview[]> {
  const steps = startSteps(plan);
  const snapshots = new HostSnapshots(plan.project, hosts);
  return Promise.all(
    plan.targets.map(async (target) => {
      const base = {
        service: target.service.name,
        host: target.host.name,
        branch: target.branch,
        step: steps.get(target.ref.key) ?? 1,
        waits_for: target.waitsFor,
      };
      try {
        const preview = target.host.swarm
          ? (await import("../swarm/preview.js")).previewSwarmTarget(plan, target, hosts, repos)
          : previewTarget(plan, target, snapshots, repos);
        return { ...base, ...(await preview) };
      } catch (error) {
        return {
          ...base,
          ref_kind: null,
          commit: null,
          image: null,
          running_image: null,
          running_commit: null,
          action: "error" as const,
          reason: errorMessage(error),
        };
      }
    }),
  );
}

/**
 * What each host runs of the project, asked once per host for the whole plan (two list calls, however many
 * services) rather than with two inspections per target: for 50 services those cost about 100 ms of this
 * process's CPU. A container the list shows not running is inspected, for what stopped it (as the deploy does).
 */
class HostSnapshots {
  readonly #byHost = new Map<string, Promise<HostSnapshot>>();

  constructor(
    private readonly project: string,
    private readonly hosts: HostPool,
  ) {}

  of(host: HostSpec): Promise<HostSnapshot> {
    let snapshot = this.#byHost.get(host.name);
    if (!snapshot) {
      snapshot = this.hosts.engine(host).then(async (engine) => {
        const [containers, images] = await Promise.all([
          engine.containersByPrefix(`${this.project}-`),
          engine.imageLabelsUnder(this.project),
        ]);
        return { engine, containers, images };
      });
      this.#byHost.set(host.name, snapshot);
    }
    return snapshot;
  }
}

interface HostSnapshot {
  engine: Engine;
  containers: Map<string, ListedContainer>;
  images: Map<string, Record<string, string>>;
}

/** The target's current container, as decide() needs it: from the list when running, else inspected. */
async function currentContainer(snapshot: HostSnapshot, name: string, kind: "service" | "job") {
  const listed = snapshot.containers.get(name);
  if (!listed) return null;
  // A job's exit code, and why a service is not running, are only in the inspection.
  if (listed.running && kind === "service") return { ...listed, exitCode: 0 };
  return snapshot.engine.inspectContainer(name);
}

async function previewTarget(
  plan: DeployPlan,
  target: TargetPlan,
  snapshots: HostSnapshots,
  repos: RunRepos,
) {
  const { service } = target;
  if (service.image) return previewPulled(plan, target, service.image, snapshots);
  // The running container does not depend on the commit: the engine is asked while git answers.
  const [revision, current] = await Promise.all([
    // Not an image service, so it has a repo (the manifest gives each service exactly one of the two).
    repos.fetch(service.repo as string, target.branch, service.context, service.gitTimeoutMs),
    snapshots
      .of(target.host)
      .then((snapshot) =>
        currentContainer(snapshot, containerName(plan.project, service.name), service.kind),
      ),
  ]);
  const image = imageTag(plan.project, service.name, revision.commit);
  const { images } = await snapshots.of(target.host);
  const decision = decide(
    { current, existingImage: images.get(image) ?? null },
    {
      commit: revision.commit,
      buildHash: buildHash({ service, contextTree: revision.contextTree }),
      configHash: configHash(service),
      force: plan.options.forceRebuild,
      kind: service.kind,
    },
  );
  return {
    ref_kind: revision.kind,
    commit: revision.commit,
    image,
    action: decision.action,
    reason: decision.reason,
    running_image: current?.image ?? null,
    running_commit: current?.labels[LABEL.commit] ?? null,
  };
}

/** An image service: the image on the host is inspected, never pulled (a plan changes nothing). */
async function previewPulled(
  plan: DeployPlan,
  target: TargetPlan,
  image: ImageSpec,
  snapshots: HostSnapshots,
) {
  const { service } = target;
  const snapshot = await snapshots.of(target.host);
  const [local, current] = await Promise.all([
    snapshot.engine.inspectImage(image.reference),
    currentContainer(snapshot, containerName(plan.project, service.name), service.kind),
  ]);
  const running = { running_image: current?.image ?? null, running_commit: null };
  if (!local || needsPull(image, local.id)) {
    const reason = local
      ? `pull_policy always: ${image.reference} is pulled, then compared with what runs`
      : `${image.reference} is not on the host: it is pulled`;
    return {
      commit: null,
      ref_kind: null,
      image: image.reference,
      action: "pull" as const,
      reason,
      ...running,
    };
  }
  const decision = decide(
    { current, existingImage: null },
    {
      commit: "",
      buildHash: local.id,
      configHash: configHash(service),
      force: plan.options.forceRebuild,
      kind: service.kind,
      imageId: local.id,
      reference: image.reference,
    },
  );
  return {
    commit: null,
    ref_kind: null,
    image: image.reference,
    action: decision.action,
    reason: decision.reason,
    ...running,
  };
}

/** Pure: the start step of each target — one more than the latest step among what it waits for. */
export function startSteps(plan: DeployPlan): Map<string, number> {
  const steps = new Map<string, number>();
  for (const target of plan.targets) {
    const after = Math.max(0, ...target.waitsFor.map((key) => steps.get(key) ?? 0));
    steps.set(target.ref.key, after + 1);
  }
  return steps;
}

/** A table for people: one row per target, in start order. */
export function formatPreview(previews: TargetPreview[]): string {
  const rows = [...previews]
    .sort((a, b) => a.step - b.step)
    .map((preview) => [
      String(preview.step),
      preview.host === "local" ? preview.service : `${preview.service}@${preview.host}`,
      preview.action,
      preview.commit?.slice(0, 12) ?? "-",
      preview.image ?? "-",
      preview.reason + (preview.waits_for.length > 0 ? `; after ${preview.waits_for.join(", ")}` : ""),
    ]);
  const header = ["step", "service", "action", "commit", "image", "why"];
  return formatTable(header, rows);
}
