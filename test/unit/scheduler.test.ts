import { describe, expect, it } from "vitest";
import type { ServiceState } from "../../src/events.js";
import { schedule } from "../../src/run/scheduler.js";

interface Item {
  key: string;
  waitsFor: string[];
  /** How the fake step ends. */
  ends: ServiceState | "throw";
}

interface Result {
  key: string;
  state: ServiceState;
  reason?: string;
}

/** Fake steps that record the order of events and how many run at once; each yields to let others interleave. */
function harness() {
  const events: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  const hooks = {
    async run(item: Item, dependenciesReady: () => Promise<string | null>): Promise<Result> {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        events.push(`build ${item.key}`);
        await tick();
        const blocked = await dependenciesReady();
        if (blocked) return { key: item.key, state: "skipped", reason: blocked };
        events.push(`start ${item.key}`);
        await tick();
        if (item.ends === "throw") throw new Error("bug");
        events.push(`${item.ends} ${item.key}`);
        return { key: item.key, state: item.ends };
      } finally {
        inFlight -= 1;
      }
    },
    notStarted: (item: Item, why: { kind: "interrupted" } | { kind: "fail-fast"; failed: string }): Result =>
      why.kind === "interrupted"
        ? { key: item.key, state: "failed", reason: "interrupted" }
        : { key: item.key, state: "skipped", reason: `fail-fast after ${why.failed}` },
    crashed: (item: Item, error: unknown): Result => ({
      key: item.key,
      state: "failed",
      reason: (error as Error).message,
    }),
  };
  return { events, hooks, maxInFlight: () => maxInFlight };
}

const item = (key: string, waitsFor: string[] = [], ends: Item["ends"] = "succeeded"): Item => ({
  key,
  waitsFor,
  ends,
});

describe("schedule", () => {
  it("builds everything at once but starts a dependent only after its dependency succeeded", async () => {
    const items = [item("db"), item("api", ["db"]), item("web", ["api"])];
    const { events, hooks } = harness();
    const results = await schedule(items, hooks, { concurrency: 10, failFast: false });
    expect(results.map((result) => result.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(events.slice(0, 3)).toEqual(["build db", "build api", "build web"]);
    expect(events.indexOf("start api")).toBeGreaterThan(events.indexOf("succeeded db"));
    expect(events.indexOf("start web")).toBeGreaterThan(events.indexOf("succeeded api"));
  });

  it("never runs more than `concurrency` items at once, and a chain still completes with one slot", async () => {
    const items = [item("a"), item("b", ["a"]), item("c", ["b"]), item("d"), item("e")];
    const { hooks, maxInFlight } = harness();
    const results = await schedule(items, hooks, { concurrency: 1, failFast: false });
    expect(results.every((result) => result.state === "succeeded")).toBe(true);
    expect(maxInFlight()).toBe(1);

    const wide = harness();
    await schedule(items, wide.hooks, { concurrency: 2, failFast: false });
    expect(wide.maxInFlight()).toBe(2);
  });

  it("skips the dependents of a failure, transitively, and nothing else", async () => {
    const items = [item("db", [], "failed"), item("api", ["db"]), item("web", ["api"]), item("worker")];
    const { hooks } = harness();
    const results = await schedule(items, hooks, { concurrency: 10, failFast: false });
    expect(results).toEqual([
      { key: "db", state: "failed" },
      { key: "api", state: "skipped", reason: "dependency db ended failed" },
      { key: "web", state: "skipped", reason: "dependency api ended skipped" },
      { key: "worker", state: "succeeded" },
    ]);
  });

  it("counts rolled_back as a failed dependency and unchanged as a good one", async () => {
    const items = [
      item("a", [], "rolled_back"),
      item("b", [], "unchanged"),
      item("c", ["a"]),
      item("d", ["b"]),
    ];
    const { hooks } = harness();
    const results = await schedule(items, hooks, { concurrency: 10, failFast: false });
    expect(results.map((result) => result.state)).toEqual([
      "rolled_back",
      "unchanged",
      "skipped",
      "succeeded",
    ]);
  });

  it("with fail-fast starts nothing after the first failure", async () => {
    const items = [item("a", [], "failed"), item("b"), item("c")];
    const { hooks, events } = harness();
    const results = await schedule(items, hooks, { concurrency: 1, failFast: true });
    expect(results.map((result) => [result.state, result.reason])).toEqual([
      ["failed", undefined],
      ["skipped", "fail-fast after a"],
      ["skipped", "fail-fast after a"],
    ]);
    expect(events).toEqual(["build a", "start a", "failed a"]);
  });

  it("lets work in flight finish under fail-fast", async () => {
    const items = [item("a", [], "failed"), item("b")];
    const { hooks } = harness();
    const results = await schedule(items, hooks, { concurrency: 2, failFast: true });
    expect(results.map((result) => result.state)).toEqual(["failed", "succeeded"]);
  });

  it("starts nothing once interrupted", async () => {
    const controller = new AbortController();
    controller.abort();
    const items = [item("a"), item("b")];
    const { hooks, events } = harness();
    const results = await schedule(items, hooks, {
      concurrency: 2,
      failFast: false,
      signal: controller.signal,
    });
    expect(results.map((result) => result.reason)).toEqual(["interrupted", "interrupted"]);
    expect(events).toEqual([]);
  });

  it("turns a throwing step into a failure, so its dependents are skipped instead of waiting forever", async () => {
    const items = [item("a", [], "throw"), item("b", ["a"])];
    const { hooks } = harness();
    const results = await schedule(items, hooks, { concurrency: 2, failFast: false });
    expect(results).toEqual([
      { key: "a", state: "failed", reason: "bug" },
      { key: "b", state: "skipped", reason: "dependency a ended failed" },
    ]);
  });

  it("tells an item whether a dependency of the run has yet to end", async () => {
    const items = [item("db"), item("api", ["db", "cache"]), item("web", ["cache"])];
    const { hooks } = harness();
    const seen: string[] = [];
    await schedule(
      items,
      {
        ...hooks,
        async run(target, dependenciesReady, dependenciesPending) {
          seen.push(`${target.key} before: ${dependenciesPending()}`);
          const result = await hooks.run(target, dependenciesReady);
          seen.push(`${target.key} after: ${dependenciesPending()}`);
          return result;
        },
      },
      { concurrency: 10, failFast: false },
    );
    // `cache` is not part of the run: nothing to wait for. `db` is, until it has ended.
    expect(seen).toEqual(
      expect.arrayContaining([
        "db before: false",
        "api before: true",
        "web before: false",
        "api after: false",
      ]),
    );
  });

  it("does not wait for a dependency that is not part of the run", async () => {
    const items = [item("api", ["db"])];
    const { hooks } = harness();
    expect((await schedule(items, hooks, { concurrency: 1, failFast: false }))[0]?.state).toBe("succeeded");
  });

  describe("a dependency whose start is enough (Compose's service_started)", () => {
    /** Each item: `start` after one tick (unless it fails before), then its end after `gateTicks` more. */
    function startHooks(
      plan: Record<string, { gateTicks: number; ends: ServiceState; failsBeforeStart?: true }>,
    ) {
      const events: string[] = [];
      const tick = () => new Promise((resolve) => setImmediate(resolve));
      const hooks = {
        async run(
          target: Item & { startOnly?: string[] },
          dependenciesReady: () => Promise<string | null>,
          _pending: () => boolean,
          started: () => void,
        ): Promise<Result> {
          const how = plan[target.key] ?? { gateTicks: 0, ends: "succeeded" as const };
          const blocked = await dependenciesReady();
          if (blocked) return { key: target.key, state: "skipped", reason: blocked };
          await tick();
          if (how.failsBeforeStart) return { key: target.key, state: how.ends };
          events.push(`start ${target.key}`);
          started();
          for (let i = 0; i < how.gateTicks; i++) await tick();
          events.push(`${how.ends} ${target.key}`);
          return { key: target.key, state: how.ends };
        },
        notStarted: (target: Item): Result => ({ key: target.key, state: "skipped" }),
        crashed: (target: Item): Result => ({ key: target.key, state: "failed" }),
      };
      return { events, hooks };
    }

    it("starts the dependent once the dependency's container started, before its gate passed", async () => {
      const { events, hooks } = startHooks({ db: { gateTicks: 5, ends: "succeeded" } });
      const items = [item("db"), { ...item("web", ["db"]), startOnly: ["db"] }, item("api", ["db"])];
      const results = await schedule(items, hooks, { concurrency: 10, failFast: false });
      expect(results.map((result) => result.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
      expect(events.indexOf("start web")).toBeLessThan(events.indexOf("succeeded db"));
      expect(events.indexOf("start api")).toBeGreaterThan(events.indexOf("succeeded db"));
    });

    it("does not undo the start when the dependency then fails its gate", async () => {
      const { hooks } = startHooks({ db: { gateTicks: 3, ends: "rolled_back" } });
      const items = [item("db"), { ...item("web", ["db"]), startOnly: ["db"] }];
      const results = await schedule(items, hooks, { concurrency: 10, failFast: false });
      expect(results.map((result) => result.state)).toEqual(["rolled_back", "succeeded"]);
    });

    it("skips the dependent when the dependency ends before it started; goes on when it was unchanged", async () => {
      const { hooks } = startHooks({
        db: { gateTicks: 0, ends: "failed", failsBeforeStart: true },
        cache: { gateTicks: 0, ends: "unchanged", failsBeforeStart: true },
      });
      const items = [
        item("db"),
        item("cache"),
        { ...item("web", ["db"]), startOnly: ["db"] },
        { ...item("api", ["cache"]), startOnly: ["cache"] },
      ];
      const results = await schedule(items, hooks, { concurrency: 10, failFast: false });
      expect(results.map((result) => [result.key, result.state, result.reason])).toEqual([
        ["db", "failed", undefined],
        ["cache", "unchanged", undefined],
        ["web", "skipped", "dependency db ended failed before its container started"],
        ["api", "succeeded", undefined],
      ]);
    });
  });
});
