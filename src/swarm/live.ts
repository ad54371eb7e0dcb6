import type { Engine } from "../docker/engine.js";
import { SWARM_LABEL, swarmServiceName } from "./spec.js";

/** The image id (on the manager) of the release a Swarm service runs now, from its labels; null without one. */
export async function swarmLiveImageId(
  engine: Engine,
  project: string,
  service: string,
): Promise<string | null> {
  const live = await engine.swarm().inspectService(swarmServiceName(project, service));
  return live?.labels[SWARM_LABEL.imageId] ?? null;
}
