import { afterEach, describe, expect, it, vi } from "vitest";
import type { Engine } from "../../src/docker/engine.js";
import { acquireEngineLock, engineLockName } from "../../src/lock/engine-lock.js";
import { currentHolder } from "../../src/lock/holder.js";

/** An engine holding lock networks in memory: only what the engine lock calls. */
function fakeEngine() {
  const networks = new Map<string, { Id: string; Name: string; Labels: Record<string, string> }>();
  let next = 0;
  const lockCalls: Pick<Engine, "createRecordNetwork" | "findNetwork" | "removeNetwork"> = {
    async createRecordNetwork(name, labels) {
      if ([...networks.values()].some((n) => n.Name === name)) return null;
      const id = `net${++next}`;
      networks.set(id, { Id: id, Name: name, Labels: labels });
      return id;
    },
    async findNetwork(name) {
      const network = [...networks.values()].find((n) => n.Name === name);
      return network ? { id: network.Id, labels: network.Labels } : null;
    },
    async removeNetwork(id) {
      networks.delete(id);
    },
  };
  return { engine: lockCalls as Engine, networks };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("a held engine lock", () => {
  it("tells once when it is removed while held, and nothing after its release", async () => {
    vi.useFakeTimers();
    const { engine, networks } = fakeEngine();
    const lost: string[] = [];
    const lock = await acquireEngineLock(engine, "p", currentHolder("r1", new Date()), (why) =>
      lost.push(why),
    );
    if (!lock.ok) throw new Error(lock.message);
    await vi.advanceTimersByTimeAsync(25_000);
    expect(lost).toEqual([]);

    networks.clear(); // `deploy unlock --force`, from anywhere
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lost).toEqual(["lock removed"]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(lost).toHaveLength(1);
    await lock.release(); // its network is gone: nothing to remove, no error
  });

  it("tells when another run holds it now, and its release leaves that run's lock alone", async () => {
    vi.useFakeTimers();
    const { engine, networks } = fakeEngine();
    const lost: string[] = [];
    const lock = await acquireEngineLock(engine, "p", currentHolder("r1", new Date()), (why) =>
      lost.push(why),
    );
    if (!lock.ok) throw new Error(lock.message);
    networks.clear();
    const other = await acquireEngineLock(engine, "p", currentHolder("r2", new Date()));
    expect(other.ok).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/^lock now held by run r2 /);
    await lock.release();
    expect([...networks.values()].map((n) => n.Name)).toEqual([engineLockName("p")]);
  });

  it("is not reported lost after its release", async () => {
    vi.useFakeTimers();
    const { engine } = fakeEngine();
    const lost: string[] = [];
    const lock = await acquireEngineLock(engine, "p", currentHolder("r1", new Date()), (why) =>
      lost.push(why),
    );
    if (!lock.ok) throw new Error(lock.message);
    await lock.release();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(lost).toEqual([]);
  });
});
