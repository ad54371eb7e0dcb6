import pLimit from "p-limit";
import { errorMessage } from "../errors.js";
import type { RepoCache } from "../git/repo-cache.js";
import type { Clock } from "../health/clock.js";
import type { HostPool } from "../hosts/pool.js";
import type { DeployPlan, TargetPlan } from "../plan/plan.js";
import { deployTarget } from "./deploy-target.js";
import type { EventSink, HealthGate, StatusRecord } from "./events.js";
import { RunRepos } from "./run-repos.js";
import { TargetTracker } from "./tracker.js";

export interface RunDeps {
  /** The run's host connections (opened lazily, closed by whoever made the pool). */
  hosts: HostPool;
  repoCache: RepoCache;
  clock: Clock;
  sink: EventSink;
  signal?: AbortSignal;
}

const HEALTHY: ReadonlyArray<StatusRecord["state"]> = ["succeeded", "unchanged"];

/**
 * Runs every target of the plan concurrently (at most `concurrency` in flight, at most `max_builds` builds per
 * host), each starting its container only once the targets it waits for are healthy. One target's failure
 * never stops another, except that its dependents are skipped (and with --fail-fast, everything not started).
 */
export async function executePlan(plan: DeployPlan, deps: RunDeps): Promise<StatusRecord[]> {
  const trackers = new Map(
    plan.targets.map((target) => [
      target.ref.key,
      new TargetTracker(
        target.ref,
        { runId: plan.runId, branch: target.branch, healthGate: gateOf(target) },
        deps.sink,
        deps.clock,
      ),
    ]),
  );
  for (const tracker of trackers.values()) tracker.enter("pending");

  const outcomes = new Map(plan.targets.map((target) => [target.ref.key, deferred<StatusRecord>()]));
  const inFlight = pLimit(Math.max(1, plan.options.concurrency));
  const repos = new RunRepos(deps.repoCache, deps.signal);
  let firstFailure: string | null = null;

  const dependenciesReady = async (target: TargetPlan): Promise<string | null> => {
    for (const key of target.waitsFor) {
      const outcome = await (outcomes.get(key) as Deferred<StatusRecord>).promise;
      if (!HEALTHY.includes(outcome.state)) return `dependency ${key} ended ${outcome.state}`;
    }
    return null;
  };

  const runTarget = async (target: TargetPlan): Promise<StatusRecord> => {
    const tracker = trackers.get(target.ref.key) as TargetTracker;
    if (deps.signal?.aborted) return tracker.fail("failed", "interrupted", "interrupted before it started");
    if (plan.options.failFast && firstFailure) {
      return tracker.finish("skipped", { reason: `--fail-fast: ${firstFailure} failed` });
    }
    const result = await deployTarget({
      plan,
      target,
      tracker,
      repos,
      connection: () => deps.hosts.connection(target.host),
      buildSlot: (work) => deps.hosts.buildSlot(target.host, work),
      dependenciesReady: () => dependenciesReady(target),
      clock: deps.clock,
      signal: deps.signal,
    });
    if (!HEALTHY.includes(result.state) && result.state !== "skipped") firstFailure ??= target.ref.key;
    return result;
  };

  // Targets are in dependency order and p-limit is FIFO, so a dependency always holds a slot before its
  // dependents: a dependent waiting for it can never starve it of a slot.
  const results = await Promise.all(
    plan.targets.map((target) =>
      inFlight(async () => {
        const outcome = outcomes.get(target.ref.key) as Deferred<StatusRecord>;
        try {
          const result = await runTarget(target);
          outcome.resolve(result);
          return result;
        } catch (error) {
          // deployTarget reports its own failures; this is a bug guard so dependents never wait forever.
          const tracker = trackers.get(target.ref.key) as TargetTracker;
          const result = tracker.fail("failed", "deploy", `internal error: ${errorMessage(error)}`);
          outcome.resolve(result);
          return result;
        }
      }),
    ),
  );
  return results;
}

function gateOf(target: TargetPlan): HealthGate {
  return target.service.health.kind;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}
