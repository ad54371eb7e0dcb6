import type { Clock } from "../clock.js";
import type { SwarmEngine } from "../docker/swarm-engine.js";
import { judgeRollback, judgeRollout, type Rollout } from "./rollout.js";

const POLL_MS = 1000;

/**
 * Polls the service until the rollout converged on `image` or Swarm gave up on it; past `timeoutMs` it never
 * converged, which is a failure like any other. Each change of where it stands is logged once.
 */
export async function waitRollout(options: {
  swarm: SwarmEngine;
  serviceId: string;
  image: string;
  timeoutMs: number;
  clock: Clock;
  signal?: AbortSignal;
  log: (line: string) => void;
}): Promise<Exclude<Rollout, { kind: "waiting" }>> {
  const { swarm, clock } = options;
  const deadline = clock.now() + options.timeoutMs;
  let last = "";
  for (;;) {
    options.signal?.throwIfAborted();
    const service = await swarm.inspectService(options.serviceId);
    if (!service) return { kind: "failed", message: "the service was removed during its rollout" };
    const rollout = judgeRollout(service, await swarm.tasks(options.serviceId), options.image);
    if (rollout.kind !== "waiting") return rollout;
    if (rollout.detail !== last) options.log(rollout.detail);
    last = rollout.detail;
    if (clock.now() >= deadline) {
      return {
        kind: "failed",
        message: `the rollout did not converge within ${Math.round(options.timeoutMs / 1000)}s: ${rollout.detail}`,
      };
    }
    await clock.sleep(POLL_MS, options.signal);
  }
}

/** Polls until Swarm's rollback of the service finished; false when it paused or took longer than `timeoutMs`. */
export async function waitRollback(
  swarm: SwarmEngine,
  serviceId: string,
  clock: Clock,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const service = await swarm.inspectService(serviceId);
    const state = service ? judgeRollback(service) : "failed";
    if (state !== "waiting") return state === "done";
    if (clock.now() >= deadline) return false;
    await clock.sleep(POLL_MS);
  }
}
