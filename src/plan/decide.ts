import { LABEL } from "../labels.js";
import type { ImageSpec } from "../manifest/types.js";
import { shortId } from "./releases.js";

/** Whether a deploy pulls: always with `pull_policy: always`, else only when the host lacks the image. */
export function needsPull(image: ImageSpec, localId: string | null): boolean {
  return image.pullPolicy === "always" || localId === null;
}

/** What a deploy of one target will do, decided from what runs now and what is wanted. */
export type Action = "unchanged" | "build" | "reuse-image" | "recreate";

export interface Observed {
  /** Labels and state of the service's current container; null when there is none. */
  current: {
    running: boolean;
    exitCode: number;
    image: string;
    imageId?: string;
    labels: Record<string, string>;
  } | null;
  /** Labels of the image already tagged for the wanted commit, or null when there is none. */
  existingImage: Record<string, string> | null;
}

export interface Wanted {
  commit: string;
  buildHash: string;
  configHash: string;
  force: boolean;
  /** A job has done its work when its container exited 0; a service must be running. */
  kind?: "service" | "job";
  /** An image given by id (pulled, or a rollback's release): the same build then means the same image. */
  imageId?: string;
  /** An image service's reference (`redis:7`): it has no commit, the reasons name the image instead. */
  reference?: string;
}

export interface Decision {
  action: Action;
  reason: string;
}

/**
 * Pure: whether the target is unchanged, and if not, whether its image must be built or can be reused, and
 * why. Shared by the deploy itself and by `deploy plan`, so the plan never says something the deploy won't do.
 */
export function decide(observed: Observed, wanted: Wanted): Decision {
  const { current, existingImage } = observed;
  const short = (commit: string | undefined) => (commit ? commit.slice(0, 12) : "?");
  const imageReusable =
    !wanted.force && (wanted.imageId !== undefined || existingImage?.[LABEL.buildHash] === wanted.buildHash);
  // A given image is not built again: forcing makes its container anew.
  if (wanted.force) return { action: wanted.imageId ? "recreate" : "build", reason: "--force-rebuild" };
  if (!current)
    return { action: imageReusable ? "reuse-image" : "build", reason: "no container yet: first deploy" };
  const runningCommit = current.labels[LABEL.commit];
  const sameBuild = wanted.imageId
    ? current.imageId === wanted.imageId
    : current.labels[LABEL.buildHash] === wanted.buildHash;
  const sameConfig = current.labels[LABEL.configHash] === wanted.configHash;
  // With the same build inputs and the image at hand, only the container is made anew.
  const imageAction: Action = imageReusable ? (sameBuild ? "recreate" : "reuse-image") : "build";
  const done = wanted.kind === "job" ? !current.running && current.exitCode === 0 : current.running;
  if (!done) {
    const reason =
      wanted.kind === "job" ? "its last run did not complete with exit 0" : "the container is not running";
    return { action: imageAction, reason };
  }
  if (wanted.reference !== undefined)
    return pulledDecision(current, wanted, sameBuild, sameConfig, imageAction);
  if (sameBuild && sameConfig) {
    return {
      action: "unchanged",
      reason:
        runningCommit === wanted.commit
          ? `already ${wanted.kind === "job" ? "ran" : "runs"} ${short(runningCommit)} with this configuration`
          : `the build context of ${short(wanted.commit)} is identical to the running ${short(runningCommit)}`,
    };
  }
  if (sameBuild) return { action: imageAction, reason: "the configuration changed" };
  if (wanted.imageId) {
    return {
      action: imageAction,
      reason: `image ${shortId(wanted.imageId)} of ${short(wanted.commit)} (running ${shortId(current.imageId ?? "?")} of ${short(runningCommit)})`,
    };
  }
  return {
    action: imageAction,
    reason: `new commit ${short(wanted.commit)} (running ${short(runningCommit)})`,
  };
}

/** The reasons for an image service: what image its reference is, and what runs. */
function pulledDecision(
  current: NonNullable<Observed["current"]>,
  wanted: Wanted,
  sameBuild: boolean,
  sameConfig: boolean,
  imageAction: Action,
): Decision {
  const image = `${wanted.reference} (image ${shortId(wanted.imageId ?? "?")})`;
  if (sameBuild && sameConfig)
    return { action: "unchanged", reason: `already runs ${image} with this configuration` };
  if (sameBuild) return { action: imageAction, reason: "the configuration changed" };
  return { action: imageAction, reason: `${image}, running image ${shortId(current.imageId ?? "?")}` };
}
