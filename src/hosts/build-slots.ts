/** One target's place in its host's build queue: it either runs its build through it or drops it. */
export interface BuildClaim {
  /** Runs `work` once a slot is granted to this claim; the slot is freed when `work` settles. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** The target will not build (unchanged, reused image, failed before): its reservation is given up. Idempotent. */
  drop(): void;
}

/**
 * The build slots of one host, granted by rank (the plan's start order: dependencies first), counting the
 * targets that have not asked yet. Every target claims its rank when it starts; `limit` builds run at once,
 * and a free slot is kept for the lowest-ranked claims even while they are still fetching. When there are
 * more builds than slots, the head of a `depends_on` chain therefore builds first rather than after later
 * links whose fetch happened to finish sooner (the chain's wall time is its head's build plus the starts,
 * one after the other); with fewer builds than slots, every build starts as soon as it asks.
 *
 * A reservation only ever waits for a claim of lower rank, and such a claim belongs to a target that started
 * earlier and never waits on anything before building: the queue cannot deadlock.
 */
export class RankedSlots {
  #limit: number | null = null;
  #limitPromise: Promise<number> | undefined;
  #running = 0;
  /** Claimed, not yet running: rank → its wake-up once it asked for a slot (null while it is still on its way). */
  readonly #pending = new Map<number, (() => void) | null>();

  /** `limit` is asked for on the first build only: a run that builds nothing never pays for it. */
  constructor(private readonly limit: () => Promise<number>) {}

  claim(rank: number): BuildClaim {
    this.#pending.set(rank, null);
    let state: "claimed" | "used" | "dropped" = "claimed";
    return {
      run: async (work) => {
        if (state !== "claimed") throw new Error(`build claim ${rank} was already ${state}`);
        state = "used";
        this.#limitPromise ??= this.limit();
        this.#limit = Math.max(1, await this.#limitPromise);
        await new Promise<void>((resolve) => {
          this.#pending.set(rank, resolve);
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

  /** Gives each free slot to one of the lowest-ranked pending claims, if that claim is already asking. */
  #grant(): void {
    if (this.#limit === null) return;
    const reserved = [...this.#pending.keys()]
      .sort((a, b) => a - b)
      .slice(0, Math.max(0, this.#limit - this.#running));
    for (const rank of reserved) {
      const wake = this.#pending.get(rank);
      if (!wake) continue;
      this.#pending.delete(rank);
      this.#running += 1;
      wake();
    }
  }
}
