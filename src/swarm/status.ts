import type { Dispatcher } from "undici";
import { systemClock } from "../clock.js";
import type { Engine } from "../docker/engine.js";
import { LABEL } from "../labels.js";
import type { ServiceSpec } from "../manifest/types.js";
import { swarmGate } from "./gate.js";
import { observedService, type ReplicaFacts } from "./observe.js";
import { swarmServiceName } from "./spec.js";

/** What `deploy status` shows of a Swarm service: its replicas (by node id) and one quick round of its gate. */
export interface SwarmStatus extends Partial<ReplicaFacts> {
  running: boolean;
  image: string | null;
  commit: string | null;
  up_since: string | null;
  health: string;
  healthy: boolean;
}

const QUICK = { intervalMs: 200, timeoutMs: 1, startPeriodMs: 0 };

export async function swarmStatus(
  engine: Engine,
  project: string,
  service: ServiceSpec,
  httpDispatcher?: Dispatcher,
): Promise<SwarmStatus> {
  const swarm = engine.swarm();
  const current = await observedService(swarm, swarmServiceName(project, service.name));
  const none = { running: false, image: null, commit: null, up_since: null, healthy: false };
  if (!current) return { ...none, health: "no Swarm service" };
  const { facts } = current;
  const base = {
    ...facts,
    image: current.tag,
    commit: current.service.labels[LABEL.commit] ?? null,
    running: facts.replicas.running > 0,
    up_since: current.tasks.find((task) => task.state === "running")?.updatedAt ?? null,
  };
  if (!current.observed.running) {
    return {
      ...base,
      healthy: false,
      health: `${facts.replicas.running}/${facts.replicas.desired} replicas running`,
    };
  }
  const health = service.health.kind === "http" ? { ...service.health, ...QUICK } : service.health;
  const running = current.tasks.filter(
    (task) => task.state === "running" && task.image === current.service.image,
  );
  const gate = await swarmGate({
    swarm,
    serviceId: current.service.id,
    service: { ...service, health: health.kind === "running" ? { kind: "none" } : health },
    image: current.service.image,
    tasks: running,
    ...(httpDispatcher ? { httpDispatcher } : {}),
    clock: systemClock,
    log: () => undefined,
  });
  return gate.ok
    ? {
        ...base,
        healthy: true,
        health: `healthy (${facts.replicas.running}/${facts.replicas.desired} replicas)`,
      }
    : { ...base, healthy: false, health: `unhealthy: ${gate.message.split("\n")[0]}` };
}
