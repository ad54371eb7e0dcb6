import { describe, expect, it } from "vitest";
import { RankedSlots } from "../../src/hosts/build-slots.js";

/** A build that records when it starts and ends, and finishes when the test says so. */
function builds() {
  const log: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const finishers = new Map<number, () => void>();
  const build = (rank: number) => async () => {
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    log.push(`start ${rank}`);
    await new Promise<void>((resolve) => finishers.set(rank, resolve));
    running -= 1;
    log.push(`end ${rank}`);
  };
  const finish = async (rank: number) => {
    finishers.get(rank)?.();
    await settle();
  };
  return { log, build, finish, maxRunning: () => maxRunning };
}

/** A host's limits where every build counts alike. */
const only = (builds: number) => async () => ({ builds, whileWaiting: builds });

/** Lets every promise chain that can move, move. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("ranked build slots", () => {
  it("keeps a free slot for a lower rank that is still on its way, and never exceeds the limit", async () => {
    const slots = new RankedSlots(only(2));
    const claims = [0, 1, 2, 3].map((rank) => slots.claim(rank));
    const b = builds();
    // Ranks 3 and 2 ask first (their fetch was quicker): only one slot is free for them, the other is rank 0's.
    const runs = [claims[3]?.run(b.build(3)), claims[2]?.run(b.build(2))];
    await settle();
    expect(b.log).toEqual([]);
    runs.push(claims[0]?.run(b.build(0)));
    await settle();
    expect(b.log).toEqual(["start 0"]);
    runs.push(claims[1]?.run(b.build(1)));
    await settle();
    expect(b.log).toEqual(["start 0", "start 1"]);
    await b.finish(1);
    expect(b.log.slice(2)).toEqual(["end 1", "start 2"]);
    await b.finish(0);
    await b.finish(2);
    await b.finish(3);
    await Promise.all(runs);
    expect(b.log.slice(4)).toEqual(["end 0", "start 3", "end 2", "end 3"]);
    expect(b.maxRunning()).toBe(2);
  });

  it("gives a dropped claim's reservation to the next rank", async () => {
    const slots = new RankedSlots(only(1));
    const [unchanged, building] = [slots.claim(0), slots.claim(1)];
    const b = builds();
    const run = building.run(b.build(1));
    await settle();
    expect(b.log).toEqual([]); // rank 0 may still build
    unchanged.drop();
    unchanged.drop(); // idempotent
    await settle();
    expect(b.log).toEqual(["start 1"]);
    await b.finish(1);
    await run;
  });

  it("fills every slot at once when the lowest ranks are the ones asking", async () => {
    const slots = new RankedSlots(only(8));
    const b = builds();
    const runs = [0, 1, 2, 3, 4, 5].map((rank) => slots.claim(rank).run(b.build(rank)));
    await settle();
    expect(b.log).toHaveLength(6);
    for (const rank of [0, 1, 2, 3, 4, 5]) await b.finish(rank);
    await Promise.all(runs);
  });

  it("frees the slot when a build fails, and asks for the limit once", async () => {
    let asked = 0;
    const slots = new RankedSlots(async () => {
      asked += 1;
      return { builds: 1, whileWaiting: 1 };
    });
    const failing = slots.claim(0).run(async () => {
      throw new Error("build failed");
    });
    const next = slots.claim(1).run(async () => "built");
    await expect(failing).rejects.toThrow("build failed");
    await expect(next).resolves.toBe("built");
    expect(asked).toBe(1);
  });

  it("builds for targets still waiting for a dependency only while fewer than whileWaiting run", async () => {
    const slots = new RankedSlots(async () => ({ builds: 8, whileWaiting: 2 }));
    const b = builds();
    const waiting = () => true;
    // A chain: rank 0 can start once built, ranks 1–4 wait for the link before them.
    const runs = [slots.claim(0).run(b.build(0))];
    for (const rank of [1, 2, 3, 4]) runs.push(slots.claim(rank, waiting).run(b.build(rank)));
    await settle();
    expect(b.log).toEqual(["start 0", "start 1"]);
    // A target that waits for nothing still builds at once, beyond whileWaiting (up to `builds`).
    runs.push(slots.claim(5).run(b.build(5)));
    await settle();
    expect(b.log).toEqual(["start 0", "start 1", "start 5"]);
    await b.finish(0);
    await b.finish(5);
    expect(b.log.slice(3)).toEqual(["end 0", "end 5", "start 2"]);
    for (const rank of [1, 2, 3, 4]) await b.finish(rank);
    await Promise.all(runs);
    expect(b.log.slice(6)).toEqual(["end 1", "start 3", "end 2", "start 4", "end 3", "end 4"]);
  });

  it("asks again whether a target waits whenever a slot is free", async () => {
    const slots = new RankedSlots(async () => ({ builds: 8, whileWaiting: 1 }));
    const b = builds();
    let dependencyEnded = false;
    const runs = [slots.claim(0).run(b.build(0)), slots.claim(1, () => !dependencyEnded).run(b.build(1))];
    await settle();
    expect(b.log).toEqual(["start 0"]);
    // Its dependency ended (unchanged, say): the next grant, here for rank 2, lets it build like any other.
    dependencyEnded = true;
    runs.push(slots.claim(2).run(b.build(2)));
    await settle();
    expect(b.log).toEqual(["start 0", "start 1", "start 2"]);
    for (const rank of [0, 1, 2]) await b.finish(rank);
    await Promise.all(runs);
  });

  it("refuses to run one claim twice", async () => {
    const claim = new RankedSlots(only(1)).claim(0);
    await claim.run(async () => undefined);
    await expect(claim.run(async () => undefined)).rejects.toThrow("already used");
  });
});
