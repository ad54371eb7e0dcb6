import type { Clock } from "../clock.js";
import { errorMessage } from "../errors.js";
import type { EventSink, HealthGate, StatusRecord } from "../events.js";
import type { HostPool } from "../hosts/pool.js";
import type { DeployPlan, TargetPlan } from "../plan/plan.js";
import { deployTarget } from "./deploy-target.js";
import { repoOf } from "./observe.js";
import type { RunRepos } from "./run-repos.js";
import { schedule } from "./scheduler.js";
import { deploySwarmTarget } from "./swarm-target.js";
import { TargetTracker } from "./tracker.js";

/** How a run goes, whatever it deploys. */
export interface RunSettings {
  /** Services (targets) in flight at once. */
  concurrency: number;
  /** Start nothing new after a failure. */
  failFast: boolean;
  /** Keep a failed new container (and leave the old one stopped) for inspection. */
  noRollback: boolean;
  /** Build without the engine's layer cache (`--force-rebuild`). */
  noCache: boolean;
}

export interface RunDeps {
  settings: RunSettings;
  /** The run's host connections (opened lazily, closed by whoever made the pool). */
  hosts: HostPool;
  /** The run's fetches (some may be under way already: see prefetchRefs). */
  repos: RunRepos;
  clock: Clock;
  sink: EventSink;
  signal?: AbortSignal;
}

/**
 * Runs every target of the plan concurrently (at most `concurrency` in flight, at most `max_builds` builds per
 * host), each starting its container only once the targets it waits for are healthy. One target's failure
 * never stops another, except that its dependents are skipped (and with --fail-fast, everything not started).
 * Housekeeping after a target's result (pruning its old images) runs beside its dependents' starts: the run
 * waits for it before it returns, a dependent does not.
 */
export async function executePlan(plan: DeployPlan, deps: RunDeps): Promise<StatusRecord[]> {
  const trackers = new Map(
    plan.targets.map((target) => [
      target.ref.key,
      new TargetTracker(
        target.ref,
        { runId: plan.runId, branch: target.branch, healthGate: gateOf(target), stop: deps.signal },
        deps.sink,
        deps.clock,
      ),
    ]),
  );
  for (const tracker of trackers.values()) tracker.enter("pending");

  const { repos } = deps;
  const trackerOf = (target: TargetPlan) => trackers.get(target.ref.key) as TargetTracker;
  const items = plan.targets.map((target) => ({ ...target, key: target.ref.key }));
  const rank = new Map(plan.targets.map((target, index) => [target.ref.key, index]));
  const housekeeping: Promise<void>[] = [];
  const results = await schedule(
    items,
    {
      // A Swarm manager's targets take the Swarm path (swarm-target.ts): the same steps, other engine calls.
      run: (target, dependenciesReady, dependenciesPending, started) =>
        (target.host.swarm ? deploySwarmTarget : deployTarget)({
          plan,
          target,
          tracker: trackerOf(target),
          repos,
          connection: () => deps.hosts.connection(target.host),
          claimBuildSlot: (engine) =>
            deps.hosts.claimBuildSlot(
              target.host,
              engine,
              rank.get(target.ref.key) ?? 0,
              dependenciesPending,
            ),
          dependenciesReady,
          started,
          afterwards: (work) => housekeeping.push(work),
          settings: deps.settings,
          clock: deps.clock,
          signal: deps.signal,
        }),
      notStarted: (target, why) =>
        why.kind === "interrupted"
          ? trackerOf(target).fail("failed", "interrupted", "interrupted before it started")
          : trackerOf(target).finish("skipped", { reason: `--fail-fast: ${why.failed} failed` }),
      // deployTarget reports its own failures; this guards against a bug leaving the target without an end.
      crashed: (target, error) =>
        trackerOf(target).fail("failed", "deploy", `internal error: ${errorMessage(error)}`),
    },
    { concurrency: deps.settings.concurrency, failFast: deps.settings.failFast, signal: deps.signal },
  );
  await Promise.all(housekeeping);
  return results;
}

/**
 * Starts the fetches of the targets the run starts first (as many as `concurrency` lets in flight), so that git
 * runs while the run takes its lock and connects to its hosts. A rollback and an image service fetch nothing.
 */
export function prefetchRefs(plan: DeployPlan, repos: RunRepos, concurrency: number): void {
  if (plan.intent.rollbackTo !== undefined) return;
  for (const { service, branch } of plan.targets.slice(0, concurrency)) {
    if (!service.image) repos.prefetch(repoOf(service), branch, service.gitTimeoutMs);
  }
}

function gateOf(target: TargetPlan): HealthGate {
  return target.service.health.kind;
}
