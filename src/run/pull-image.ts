import type { Engine } from "../docker/engine.js";
import { PhaseError } from "../errors.js";
import type { RefKind } from "../git/refs.js";
import { imageTag } from "../labels.js";
import type { ImageSpec } from "../manifest/types.js";
import { needsPull } from "../plan/decide.js";
import { shortId } from "../plan/releases.js";
import type { TargetTracker } from "./tracker.js";

/** The image a target deploys, whether built from git, pulled, or a release put back. */
export interface ImageSource {
  image: string;
  /** The git commit; empty for a pulled image. */
  commit: string;
  buildHash: string;
  /** What the ref turned out to be; null for a pulled image (and a release recorded before the tool kept it). */
  refKind: RefKind | null;
  /** Set when the image is built from git; absent when an existing image is deployed (pulled, rollback). */
  contextTree?: string;
  /** Set when an existing image is deployed (pulled, a release): that image exactly, and what it was asked as. */
  imageId?: string;
  ref?: string;
}

/**
 * An image service's image: pulled per its policy, then tagged `<project>/<service>:<id12>` so that its
 * container, its release and retention name it by what it is (a registry tag like `redis:7` moves; other
 * projects may use it too, so the tool never retags or removes it). A pull that fails is an error even when a
 * local copy exists: `always` was asked for, and deploying the old copy silently would hide it.
 */
export async function pullImage(
  engine: Engine,
  project: string,
  service: string,
  image: ImageSpec,
  tracker: TargetTracker,
  signal?: AbortSignal,
): Promise<ImageSource> {
  const { reference, pullPolicy } = image;
  const local = await engine.inspectImage(reference);
  if (!needsPull(image, local?.id ?? null)) {
    tracker.log("build", `${reference} is on the host (image ${shortId(local?.id ?? "")}): not pulled`);
  } else {
    tracker.enter("building");
    tracker.log("build", `pulling ${reference} (${local ? "pull_policy: always" : "not on the host"})`);
    const outcome = await engine.pull(reference, (line) => tracker.log("build", line), signal);
    if (!outcome.ok)
      throw new PhaseError("build", pullFailure(reference, pullPolicy, outcome.message, local?.id));
  }
  const pulled = await engine.inspectImage(reference);
  if (!pulled) throw new PhaseError("build", `${reference} is not on the host after pulling it`);
  const tag = imageTag(project, service, shortId(pulled.id));
  await engine.tagImage(pulled.id, tag);
  tracker.log("build", `${reference} is image ${shortId(pulled.id)}, tagged ${tag}`);
  return { image: tag, imageId: pulled.id, commit: "", ref: reference, refKind: null, buildHash: pulled.id };
}

function pullFailure(
  reference: string,
  policy: ImageSpec["pullPolicy"],
  why: string,
  localId: string | undefined,
): string {
  const failed = `pulling ${reference} failed: ${why}`;
  if (!localId) return `${failed}; the host has no copy of it`;
  return (
    `${failed}; the host has a copy (image ${shortId(localId)}), not deployed because pull_policy is ${policy}: ` +
    "use pull_policy: missing to deploy the local copy when the registry cannot be reached"
  );
}
