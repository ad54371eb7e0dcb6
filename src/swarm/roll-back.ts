import type { Clock } from "../clock.js";
import type { SwarmEngine } from "../docker/swarm-engine.js";
import { errorMessage } from "../errors.js";
import { type ReplicaFacts, replicaFacts } from "./observe.js";
import { waitRollback } from "./wait.js";

/** How long Swarm's rollback may take to put the previous tasks back. */
const ROLLBACK_TIMEOUT_MS = 120_000;

/**
 * Undoes a rollout that failed its gate, never converged or was interrupted: Swarm's own rollback to the
 * previous spec (unless Swarm already started one itself: FailureAction rollback), waited for until the previous
 * tasks run again. A service this run created has no previous spec: it is removed. Never throws: its message
 * says what happened, for the failure's text.
 */
export async function rollBack(ctx: {
  swarm: SwarmEngine;
  serviceId: string;
  existed: boolean;
  clock: Clock;
  log: (line: string) => void;
}): Promise<{ ok: boolean; message: string; facts?: ReplicaFacts }> {
  const { swarm, serviceId } = ctx;
  try {
    if (!ctx.existed) {
      await swarm.removeService(serviceId);
      return { ok: true, message: "the new service was removed" };
    }
    const service = await swarm.inspectService(serviceId);
    if (!service) return { ok: false, message: "the service is gone" };
    if (!service.updateState?.startsWith("rollback")) {
      ctx.log("asking Swarm to roll back to the previous spec");
      await swarm.rollbackService(serviceId, service.version, service.spec);
    } else {
      ctx.log(`Swarm is rolling back by itself (${service.updateState})`);
    }
    if (!(await waitRollback(swarm, serviceId, ctx.clock, ROLLBACK_TIMEOUT_MS))) {
      return { ok: false, message: "Swarm's rollback did not complete: check `docker service ps`" };
    }
    const after = await swarm.inspectService(serviceId);
    const tasks = await swarm.tasks(serviceId);
    const running = tasks.filter(
      (task) => task.desiredState === "running" && task.state === "running" && task.image === after?.image,
    );
    ctx.log(`rolled back: ${running.length} replica(s) of the previous version run`);
    return {
      ok: true,
      message: "Swarm rolled back to the previous version",
      facts: replicaFacts(after?.replicas ?? 0, running),
    };
  } catch (error) {
    return { ok: false, message: `rolling back failed: ${errorMessage(error)}` };
  }
}
