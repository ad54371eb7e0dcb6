import type { Engine } from "../docker/engine.js";
import { errorMessage } from "../errors.js";
import { containerName } from "../labels.js";
import type { DeployPlan } from "../plan/plan.js";

/**
 * Keeps the newest `plan.keepImages` images of a service and removes older ones. An image some container
 * still uses is never removed (the engine refuses with 409, which counts as "kept"). Pruning is housekeeping:
 * its failure is logged, never a deploy failure.
 */
export async function pruneImages(
  engine: Engine,
  plan: DeployPlan,
  service: string,
  log: (line: string) => void,
): Promise<void> {
  try {
    const images = await engine.serviceImages(plan.project, service);
    const current = await engine.inspectContainer(containerName(plan.project, service));
    const stale = images
      .slice(plan.keepImages)
      .filter((image) => !current || !image.tags.includes(current.image));
    for (const image of stale) {
      // By tag: removing by id fails (409) while the image carries several tags.
      for (const reference of image.tags.length > 0 ? image.tags : [image.id])
        await engine.removeImage(reference);
      log(`pruned old image ${image.tags.join(", ") || image.id.slice(7, 19)}`);
    }
  } catch (error) {
    log(`pruning old images failed (ignored): ${errorMessage(error)}`);
  }
}
