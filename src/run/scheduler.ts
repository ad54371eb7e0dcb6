import pLimit from "p-limit";
import type { ServiceState } from "../events.js";

export interface SchedulerItem {
  key: string;
  /** Keys of the items whose success this one's start waits for (they come earlier in the list). */
  waitsFor: readonly string[];
  /** Those of waitsFor whose start is enough (Compose's `service_started`): their success is not awaited. */
  startOnly?: readonly string[];
}

export interface SchedulerOptions {
  /** Items in flight at once. */
  concurrency: number;
  /** After the first failure, start nothing new. */
  failFast: boolean;
  signal?: AbortSignal;
}

export interface SchedulerHooks<Item extends SchedulerItem, Result extends { state: ServiceState }> {
  /**
   * Runs one item. It decides itself when to call `dependenciesReady` (a deploy fetches and builds first and
   * waits only before starting its container), which resolves to null once every item it waits for
   * succeeded, or to the reason it must be skipped. `dependenciesPending` tells, at the moment it is called,
   * whether any item it waits for has not ended yet. `started` tells the items that wait only for its start
   * (startOnly) that it started; an item that ends successfully without calling it counts as started.
   */
  run(
    item: Item,
    dependenciesReady: () => Promise<string | null>,
    dependenciesPending: () => boolean,
    started: () => void,
  ): Promise<Result>;
  /** The result of an item that was never started: `interrupted`, or skipped by --fail-fast. */
  notStarted(item: Item, why: { kind: "interrupted" } | { kind: "fail-fast"; failed: string }): Result;
  /** The result of an item whose `run` threw (a bug): it must still end, so its dependents do not wait forever. */
  crashed(item: Item, error: unknown): Result;
}

const SUCCESS: readonly ServiceState[] = ["succeeded", "unchanged"];

/**
 * Pure orchestration over injected steps: runs items concurrently within `concurrency`, lets each wait for
 * the items it depends on, skips dependents of a failure (through `dependenciesReady`), and with `failFast`
 * starts nothing after the first failure. Items must come in dependency order: with p-limit's FIFO queue a
 * dependency then always gets its slot before its dependents, so a waiting dependent can never starve it.
 */
export async function schedule<Item extends SchedulerItem, Result extends { state: ServiceState }>(
  items: readonly Item[],
  hooks: SchedulerHooks<Item, Result>,
  options: SchedulerOptions,
): Promise<Result[]> {
  const outcomes = new Map(items.map((item) => [item.key, deferred<Result>()]));
  /** Per item: resolves to null once it started (or succeeded), to its final state when it ended otherwise. */
  const starts = new Map(items.map((item) => [item.key, deferred<ServiceState | null>()]));
  const limit = pLimit(Math.max(1, options.concurrency));
  let firstFailure: string | null = null;
  const ended = new Set<string>();

  const dependenciesReady = async (item: Item): Promise<string | null> => {
    for (const key of item.waitsFor) {
      const outcome = outcomes.get(key);
      if (!outcome) continue; // not part of this run: assumed to be running already
      if (item.startOnly?.includes(key)) {
        const failed = await starts.get(key)?.promise;
        if (failed) return `dependency ${key} ended ${failed} before its container started`;
        continue;
      }
      const result = await outcome.promise;
      if (!SUCCESS.includes(result.state)) return `dependency ${key} ended ${result.state}`;
    }
    return null;
  };

  const startedKeys = new Set<string>();
  const markStarted = (key: string) => {
    startedKeys.add(key);
    starts.get(key)?.resolve(null);
  };

  const dependenciesPending = (item: Item): boolean =>
    item.waitsFor.some(
      (key) => outcomes.has(key) && !(item.startOnly?.includes(key) ? startedKeys : ended).has(key),
    );

  const runOne = async (item: Item): Promise<Result> => {
    if (options.signal?.aborted) return hooks.notStarted(item, { kind: "interrupted" });
    if (options.failFast && firstFailure)
      return hooks.notStarted(item, { kind: "fail-fast", failed: firstFailure });
    let result: Result;
    try {
      result = await hooks.run(
        item,
        () => dependenciesReady(item),
        () => dependenciesPending(item),
        () => markStarted(item.key),
      );
    } catch (error) {
      result = hooks.crashed(item, error);
    }
    if (!SUCCESS.includes(result.state) && result.state !== "skipped") firstFailure ??= item.key;
    return result;
  };

  return Promise.all(
    items.map((item) =>
      limit(async () => {
        const result = await runOne(item);
        ended.add(item.key);
        // A deferred resolves once: an item that called `started` keeps that answer.
        starts.get(item.key)?.resolve(SUCCESS.includes(result.state) ? null : result.state);
        outcomes.get(item.key)?.resolve(result);
        return result;
      }),
    ),
  );
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
