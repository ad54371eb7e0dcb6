import type { SwarmService, SwarmTask } from "../docker/swarm-engine.js";
import type { HealthSpec, ServiceSpec } from "../manifest/types.js";
import { MONITOR_NS } from "./spec.js";

/** Where a rollout stands, judged from the service and its tasks. */
export type Rollout =
  | { kind: "waiting"; detail: string }
  /** Every replica runs the wanted image and the update (if any) completed: these are its tasks. */
  | { kind: "converged"; tasks: SwarmTask[] }
  /** Swarm gave up on it: it rolled back (FailureAction rollback) or paused it. */
  | { kind: "failed"; message: string };

const SWARM_GAVE_UP = new Set(["rollback_started", "rollback_paused", "rollback_completed", "paused"]);

/**
 * Pure: whether the service converged on `image`: as many tasks as replicas running it, none of another image
 * still meant to run, and Swarm's own update done. A task that failed is named in the detail: Swarm restarts
 * it, and a failure during the monitor window makes Swarm roll back, which this then reports.
 */
export function judgeRollout(service: SwarmService, tasks: readonly SwarmTask[], image: string): Rollout {
  if (service.updateState && SWARM_GAVE_UP.has(service.updateState)) {
    const why = service.updateMessage ? `: ${service.updateMessage}` : "";
    return { kind: "failed", message: `Swarm stopped the update (${service.updateState})${why}` };
  }
  const wanted = tasks.filter((task) => task.desiredState === "running" && task.image === image);
  const running = wanted.filter((task) => task.state === "running");
  const stale = tasks.filter(
    (task) => task.desiredState === "running" && task.image !== image && task.state === "running",
  );
  const failed = tasks
    .filter((task) => task.image === image && ["failed", "rejected"].includes(task.state))
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const lastError = failed[0]
    ? `; last task ${failed[0].state}: ${failed[0].error ?? "no reason given"}`
    : "";
  const updating = service.updateState !== undefined && service.updateState !== "completed";
  if (running.length >= service.replicas && stale.length === 0 && !updating) {
    return { kind: "converged", tasks: running };
  }
  const pending = wanted.filter((task) => task.state !== "running").map((task) => task.state);
  const states = pending.length > 0 ? ` (others: ${[...new Set(pending)].join(", ")})` : "";
  return {
    kind: "waiting",
    detail: `${running.length}/${service.replicas} replicas running the new image${states}${stale.length > 0 ? `, ${stale.length} old still running` : ""}${updating ? `, update ${service.updateState}` : ""}${lastError}`,
  };
}

/** Pure: whether Swarm's rollback finished (the previous spec's tasks run again), failed, or goes on. */
export function judgeRollback(service: SwarmService): "done" | "failed" | "waiting" {
  if (service.updateState === "rollback_completed") return "done";
  if (service.updateState === "rollback_paused" || service.updateState === "paused") return "failed";
  return "waiting";
}

/**
 * How long a rollout may take before it counts as never converging: the gate's own budget (a task must become
 * running, and healthy when the image has a HEALTHCHECK), plus, per replica, the update delay and Swarm's
 * monitor window; never less than a minute (pulling the image on each node).
 */
export function convergeTimeoutMs(service: ServiceSpec): number {
  const replicas = service.replicas ?? 1;
  const perReplica = (service.update?.delayMs ?? 0) + MONITOR_NS / 1e6;
  return Math.max(60_000, gateBudgetMs(service.health)) + replicas * perReplica;
}

function gateBudgetMs(health: HealthSpec): number {
  if (health.kind === "http" || health.kind === "docker") return health.timeoutMs;
  if (health.kind === "running") return health.durationMs;
  return 0;
}
