import type { Engine } from "../docker/engine.js";
import { errorMessage } from "../errors.js";
import { imageRepository } from "../labels.js";
import { retention, shortId } from "../plan/releases.js";
import { readReleases } from "./releases.js";

/**
 * Keeps the images of the newest `keep` releases of a service and every image a container uses; removes the
 * rest, builds that never passed their gate first. Images go by id once untagged, so an image a
 * `--force-rebuild` left without a tag is pruned like any other. Housekeeping: a failure is logged, never a
 * deploy failure. A pulled image (an image service's) is only untagged from the service's repository: its
 * registry tag may serve other projects, so the tool never removes it by id.
 */
export async function pruneImages(
  engine: Engine,
  project: string,
  service: string,
  keep: number,
  log: (line: string) => void,
  pulled = false,
): Promise<void> {
  try {
    const [releases, images, containers] = await Promise.all([
      readReleases(engine, project, service),
      pulled
        ? engine.repositoryImages(imageRepository(project, service))
        : engine.serviceImages(project, service),
      engine.serviceContainers(project, service),
    ]);
    const inUseImageIds = new Set(containers.map((container) => container.imageId));
    const plan = retention({ releases, images, inUseImageIds, keep });
    for (const release of plan.dropReleases) {
      await engine.remove(release.recordId);
      log(`forgot release ${release.tag} (${shortId(release.imageId)}) of ${release.createdAt}`);
    }
    for (const image of plan.removeImages) {
      // Tag by tag (removing by id is refused while it has several), then by id once no tag is left.
      let removed = true;
      for (const tag of image.tags) removed = (await engine.removeImage(tag)) && removed;
      if (!pulled) removed = removed && (await engine.removeImage(image.id));
      const name = `${image.tags.join(", ") || "untagged image"} (${shortId(image.id)})`;
      log(removed ? `pruned ${name}` : `kept ${name}: a container uses it`);
    }
  } catch (error) {
    log(`pruning old images failed (ignored): ${errorMessage(error)}`);
  }
}
