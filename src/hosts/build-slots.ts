/** One target's place in its host's build queue: it either runs its build through it or drops it. */
export interface BuildClaim {
  /** Runs `work` once a slot is granted to this claim; the slot is freed when `work` settles. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** The target will not build (unchanged, reused image, failed before): its reservation is given up. Idempotent. */
  drop(): void;
}

/** How many builds one host runs at once. */
export interface SlotLimits {
  /** Builds at once. */
  builds: number;
  /**
   * Builds at once when the next one belongs to a target that still waits for a dependency of this run: such
   * a target cannot start its container before that dependency is healthy anyway, so its build only gets a
   * slot while fewer than this many run, and builds of targets that can start as soon as they are built (the
   * head of a chain above all) keep the CPUs for themselves.
   */
  whileWaiting: number;
}

/**
 * The build slots of one host, granted by rank (the plan's start order: dependencies first), counting the
 * targets that have not asked yet. Every target claims its rank when it starts; `builds` run at once,
 * and a free slot is kept for the lowest-ranked claims even while they are still fetching. When there are
 * more builds than slots, the head of a `depends_on` chain therefore builds first rather than after later
 * links whose fetch happened to finish sooner (the chain's wall time is its head's build plus the starts,
 * one after the other); with fewer builds than slots, every build starts as soon as it asks, except that a
 * target still waiting for a dependency builds only within `whileWaiting`.
 *
 * A reservation only ever waits for a claim of lower rank or for a running build to end. A lower-ranked
 * claim belongs to a target that started earlier and never waits on anything before building, and a running
 * build ends: the queue cannot deadlock.
 */
export class RankedSlots {
  #limits: SlotLimits | null = null;
  #limitsPromise: Promise<SlotLimits> | undefined;
  #running = 0;
  /** Claimed, not yet running, by rank: its wake-up once it asked for a slot (null while it is on its way). */
  readonly #pending = new Map<number, { wake: (() => void) | null; waiting: () => boolean }>();

  /** `limits` is asked for on the first build only: a run that builds nothing never pays for it. */
  constructor(private readonly limits: () => Promise<SlotLimits>) {}

  /**
   * `waiting` tells whether the claiming target still waits for a dependency of this run; it is asked
   * whenever a slot is free, so a target whose dependencies have ended competes like any other.
   */
  claim(rank: number, waiting: () => boolean = () => false): BuildClaim {
    this.#pending.set(rank, { wake: null, waiting });
    let state: "claimed" | "used" | "dropped" = "claimed";
    return {
      run: async (work) => {
        if (state !== "claimed") throw new Error(`build claim ${rank} was already ${state}`);
        state = "used";
        this.#limitsPromise ??= this.limits();
        const limits = await this.#limitsPromise;
        const builds = Math.max(1, limits.builds);
        this.#limits = { builds, whileWaiting: Math.min(builds, Math.max(1, limits.whileWaiting)) };
        await new Promise<void>((resolve) => {
          this.#pending.set(rank, { wake: resolve, waiting });
          this.#grant();
        });
        try {
          return await work();
        } finally {
          this.#running -= 1;
          this.#grant();
        }
      },
      drop: () => {
        if (state !== "claimed") return;
        state = "dropped";
        this.#pending.delete(rank);
        this.#grant();
      },
    };
  }

  /**
   * Gives each free slot to one of the lowest-ranked pending claims that may build now, if that claim is
   * already asking (one still on its way keeps its slot reserved).
   */
  #grant(): void {
    if (this.#limits === null) return;
    let free = this.#limits.builds - this.#running;
    let freeWhileWaiting = this.#limits.whileWaiting - this.#running;
    for (const rank of [...this.#pending.keys()].sort((a, b) => a - b)) {
      if (free <= 0) break;
      const claim = this.#pending.get(rank);
      if (!claim || (freeWhileWaiting <= 0 && claim.waiting())) continue;
      free -= 1;
      freeWhileWaiting -= 1;
      if (!claim.wake) continue;
      this.#pending.delete(rank);
      this.#running += 1;
      claim.wake();
    }
  }
}
