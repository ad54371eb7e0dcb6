/**
 * Bounds the channels open at once on one SSH connection (sshd refuses sessions beyond its MaxSessions),
 * queueing the rest first come, first served. When a request has to wait, the limiter first asks its
 * reclaimers to close an idle channel (a keep-alive socket nobody uses) to make room. `fail` ends it for
 * good: waiters and later callers get the error (the connection is gone).
 */
export class ChannelLimiter {
  #max: number;
  #active = 0;
  readonly #waiters: Array<{ grant: (release: () => void) => void; reject: (error: Error) => void }> = [];
  readonly #reclaimers: Array<() => boolean> = [];
  #failure: Error | null = null;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`channel limit must be a positive integer: ${max}`);
    this.#max = max;
  }

  get max(): number {
    return this.#max;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** `reclaim` closes one idle channel (its release follows) and says whether it did. */
  addReclaimer(reclaim: () => boolean): void {
    this.#reclaimers.push(reclaim);
  }

  /** Resolves with the function that gives the slot back (calling it twice is harmless). */
  acquire(): Promise<() => void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#active < this.#max && this.#waiters.length === 0) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    const granted = new Promise<() => void>((grant, reject) => this.#waiters.push({ grant, reject }));
    for (const reclaim of this.#reclaimers) if (reclaim()) break;
    return granted;
  }

  /** Lowers the limit (a server that refused a channel below it); slots in use above it drain naturally. */
  lower(max: number): void {
    this.#max = Math.max(1, Math.min(this.#max, max));
  }

  fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#failure);
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#next();
    };
  }

  #next(): void {
    while (this.#active < this.#max && this.#waiters.length > 0) {
      const waiter = this.#waiters.shift();
      if (!waiter) return;
      this.#active++;
      waiter.grant(this.#releaser());
    }
  }
}
