import type Dockerode from "dockerode";
import type { Engine } from "../docker/engine.js";
import { SWARM_LABEL, swarmServiceName } from "./spec.js";
import { SwarmEngine } from "./swarm-engine.js";

/** The image id (on the manager) of the release a Swarm service runs now, from its labels; null without one. */
export async function swarmLiveImageId(
  engine: Engine,
  project: string,
  service: string,
): Promise<string | null> {
  const live = await new SwarmEngine(engine.docker).inspectService(swarmServiceName(project, service));
  return live?.labels[SWARM_LABEL.imageId] ?? null;
}

/** Where `deploy logs` reads a Swarm service's output: the service's logs, in the container logs' options. */
export function serviceLogSource(
  engine: Engine,
  project: string,
  service: string,
): Pick<Dockerode.Container, "logs"> {
  return engine.docker.getService(swarmServiceName(project, service)) as unknown as Pick<
    Dockerode.Container,
    "logs"
  >;
}
