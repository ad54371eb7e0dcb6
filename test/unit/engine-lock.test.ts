import { afterEach, describe, expect, it, vi } from "vitest";
import type { Engine } from "../../src/docker/engine.js";
import { acquireEngineLock, engineLockName } from "../../src/lock/engine-lock.js";
import { currentHolder } from "../../src/lock/holder.js";

/** An engine holding lock networks in memory: only what the engine lock calls. */
function fakeEngine() {
  const networks = new Map<string, { Id: string; Name: string; Labels: Record<string, string> }>();
  let next = 0;
  const docker = {
    async createNetwork(options: { Name: string; Labels: Record<string, string> }) {
      if ([...networks.values()].some((n) => n.Name === options.Name))
        throw Object.assign(new Error("conflict"), { statusCode: 409 });
      const id = `net${++next}`;
      networks.set(id, { Id: id, Name: options.Name, Labels: options.Labels });
      return { id };
    },
    async listNetworks() {
      return [...networks.values()];
    },
    getNetwork(id: string) {
      return {
        async remove() {
          if (!networks.delete(id)) throw Object.assign(new Error("gone"), { statusCode: 404 });
        },
      };
    },
  };
  return { engine: { docker } as unknown as Engine, networks };
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
