import type { SwarmEngine, SwarmService, SwarmTask } from "../docker/swarm-engine.js";
import type { Observed } from "../plan/decide.js";
import { judgeRollout } from "./rollout.js";
import { SWARM_LABEL } from "./spec.js";

/** What a Swarm service runs now, read once for decide(), status and releases. */
export interface ObservedService {
  service: SwarmService;
  tasks: SwarmTask[];
  /** The service as decide() sees a current container. */
  observed: NonNullable<Observed["current"]>;
  /** The live image's id on the manager (null when the service was not deployed by this tool). */
  imageId: string | null;
  /** The live image's tag (without its digest). */
  tag: string;
  facts: ReplicaFacts;
}

export interface ReplicaFacts {
  replicas: { desired: number; running: number };
  /** Node ids, never hostnames: two nodes may report the same one. */
  nodes: string[];
}

/** The service named `name` and its tasks, or null when there is none. */
export async function observedService(swarm: SwarmEngine, name: string): Promise<ObservedService | null> {
  const service = await swarm.inspectService(name);
  if (!service) return null;
  const tasks = await swarm.tasks(service.id);
  // A finished update, or a finished rollback, leaves the service as it is: only the tasks say whether it runs.
  const settled = ["completed", "rollback_completed"].includes(service.updateState ?? "completed");
  const judged = judgeRollout(
    { ...service, ...(settled ? { updateState: undefined } : {}) },
    tasks,
    service.image,
  );
  const running = tasks.filter(
    (task) => task.desiredState === "running" && task.state === "running" && task.image === service.image,
  );
  const imageId = service.labels[SWARM_LABEL.imageId] ?? null;
  const tag = service.labels[SWARM_LABEL.imageTag] ?? service.image.replace(/@sha256:[0-9a-f]+$/, "");
  return {
    service,
    tasks,
    observed: {
      running: judged.kind === "converged",
      exitCode: 0,
      image: tag,
      ...(imageId ? { imageId } : {}),
      labels: service.labels,
    },
    imageId,
    tag,
    facts: replicaFacts(service.replicas, running),
  };
}

/** Pure: the status file's replica counts and node ids from the running tasks. */
export function replicaFacts(desired: number, running: readonly SwarmTask[]): ReplicaFacts {
  return {
    replicas: { desired, running: running.length },
    nodes: [...new Set(running.map((task) => task.nodeId))].sort(),
  };
}
