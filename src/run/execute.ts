import { availableParallelism } from "node:os";
import pLimit from "p-limit";
import type { Engine } from "../docker/engine.js";
import { errorMessage, PhaseError } from "../errors.js";
import type { RepoCache } from "../git/repo-cache.js";
import type { Clock } from "../health/clock.js";
import type { HostSpec } from "../manifest/types.js";
import type { DeployPlan, TargetPlan } from "../plan/plan.js";
import { deployTarget } from "./deploy-target.js";
import type { EventSink, HealthGate, StatusRecord } from "./events.js";
import { RunRepos } from "./run-repos.js";
import { TargetTracker } from "./tracker.js";

export interface HostConnection {
  engine: Engine;
  close(): Promise<void>;
}

export interface RunDeps {
  connect: (host: HostSpec) => Promise<HostConnection>;
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
  const hosts = new HostPool(deps.connect);
  const repos = new RunRepos(deps.repoCache);
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
    if (plan.options.failFast && firstFailure) {
      return tracker.finish("skipped", { reason: `--fail-fast: ${firstFailure} failed` });
    }
    const result = await deployTarget({
      plan,
      target,
      tracker,
      repos,
      engine: () => hosts.engine(target.host),
      buildSlot: (work) => hosts.buildSlot(target.host, work),
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
  await hosts.closeAll();
  return results;
}

function gateOf(target: TargetPlan): HealthGate {
  return target.service.health.kind;
}

/** One connection per host for the whole run, opened on first use; per-host build limits. */
class HostPool {
  readonly #connections = new Map<string, Promise<HostConnection>>();
  readonly #buildLimits = new Map<string, ReturnType<typeof pLimit>>();

  constructor(private readonly connect: (host: HostSpec) => Promise<HostConnection>) {}

  async engine(host: HostSpec): Promise<Engine> {
    let connection = this.#connections.get(host.name);
    if (!connection) {
      connection = this.connect(host).catch((error: unknown) => {
        throw new PhaseError("connect", `cannot reach host ${host.name}: ${errorMessage(error)}`, { cause: error });
      });
      this.#connections.set(host.name, connection);
    }
    return (await connection).engine;
  }

  buildSlot<T>(host: HostSpec, work: () => Promise<T>): Promise<T> {
    let limit = this.#buildLimits.get(host.name);
    if (!limit) {
      limit = pLimit(host.maxBuilds ?? Math.max(2, availableParallelism()));
      this.#buildLimits.set(host.name, limit);
    }
    return limit(work);
  }

  async closeAll(): Promise<void> {
    const connections = await Promise.allSettled(this.#connections.values());
    for (const connection of connections) {
      if (connection.status === "fulfilled") await connection.value.close().catch(() => undefined);
    }
  }
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
