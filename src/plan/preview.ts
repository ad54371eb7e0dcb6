import { errorMessage } from "../errors.js";
import type { RefKind } from "../events.js";
import { LABEL } from "../labels.js";
import type { ImageSpec } from "../manifest/types.js";
import { type Action, decide, needsPull, type Observed, type Wanted } from "./decide.js";
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
 * What was read of one target before deciding (run/observe.ts), or why it could not be read:
 * - `built`: a service built from git (on a plain host or a Swarm): its ref's commit, what runs, the image;
 * - `pulled`: an image service: the id of the reference's local copy (null when the host lacks it), what runs.
 */
export type TargetObservation =
  | {
      ok: true;
      source: "built";
      refKind: RefKind;
      image: string;
      wanted: Omit<Wanted, "force">;
      observed: Observed;
    }
  | {
      ok: true;
      source: "pulled";
      localImageId: string | null;
      configHash: string;
      current: Observed["current"];
    }
  | { ok: false; error: unknown };

/**
 * Pure: what `deploy` would do for each target, from what was observed of it (its ref's commit, what its
 * host runs), decided by the same decide() as the deploy itself.
 */
export function previewPlan(
  plan: DeployPlan,
  observations: ReadonlyMap<string, TargetObservation>,
): TargetPreview[] {
  const steps = startSteps(plan);
  return plan.targets.map((target) => ({
    service: target.service.name,
    host: target.host.name,
    branch: target.branch,
    step: steps.get(target.ref.key) ?? 1,
    waits_for: target.waitsFor,
    ...previewTarget(plan, target, observations.get(target.ref.key)),
  }));
}

function previewTarget(plan: DeployPlan, target: TargetPlan, observation: TargetObservation | undefined) {
  if (!observation?.ok) {
    return {
      ref_kind: null,
      commit: null,
      image: null,
      running_image: null,
      running_commit: null,
      action: "error" as const,
      reason: observation ? errorMessage(observation.error) : `${target.ref.key} was not observed`,
    };
  }
  if (observation.source === "pulled") return previewPulled(plan, target, observation);
  const { current } = observation.observed;
  const decision = decide(observation.observed, { ...observation.wanted, force: plan.intent.redeploy });
  return {
    ref_kind: observation.refKind,
    commit: observation.wanted.commit,
    image: observation.image,
    action: decision.action,
    reason: decision.reason,
    running_image: current?.image ?? null,
    running_commit: current?.labels[LABEL.commit] ?? null,
  };
}

/** An image service: what the host has of its reference decides; a plan never pulls. */
function previewPulled(
  plan: DeployPlan,
  target: TargetPlan,
  observation: Extract<TargetObservation, { source: "pulled" }>,
) {
  const { current, localImageId } = observation;
  // Observed as pulled only when the manifest gives the service an image.
  const image = target.service.image as ImageSpec;
  const common = {
    commit: null,
    ref_kind: null,
    image: image.reference,
    running_image: current?.image ?? null,
    running_commit: null,
  };
  if (localImageId === null || needsPull(image, localImageId)) {
    const reason = localImageId
      ? `pull_policy always: ${image.reference} is pulled, then compared with what runs`
      : `${image.reference} is not on the host: it is pulled`;
    return { ...common, action: "pull" as const, reason };
  }
  const decision = decide(
    { current, existingImage: null },
    {
      commit: "",
      buildHash: localImageId,
      configHash: observation.configHash,
      force: plan.intent.redeploy,
      kind: target.service.kind,
      imageId: localImageId,
      reference: image.reference,
    },
  );
  return { ...common, action: decision.action, reason: decision.reason };
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
