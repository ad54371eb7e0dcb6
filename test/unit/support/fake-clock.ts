import type { Clock } from "../../../src/clock.js";

/** A clock whose sleeps advance time at once: polling tests run instantly and exactly. */
export class FakeClock implements Clock {
  constructor(public current = 1_000_000) {}

  now(): number {
    return this.current;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.current += ms;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
