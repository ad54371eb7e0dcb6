import type { Liveness } from "./holder.js";

/** What `deploy unlock` knows about one lock: how sure its holder runs, and (local lock) whether it is fresh. */
export interface HeldLock {
  liveness: Liveness;
  /** Local lock only: refreshed within the stale threshold, as a running holder does every few seconds. */
  fresh?: boolean;
}

export type UnlockVerdict = { remove: true; because: string } | { remove: false; because: string };

/**
 * Pure: `deploy unlock` removes a lock only when its holder is provably gone (its process, in this process
 * space, no longer exists; or it stopped refreshing the lock); a running holder, or one that cannot be
 * checked from here, keeps it unless `force`.
 */
export function unlockVerdict(lock: HeldLock, force: boolean): UnlockVerdict {
  if (lock.liveness === "gone") return { remove: true, because: "that process is gone" };
  if (lock.fresh === false) return { remove: true, because: "it was no longer refreshed: that run is gone" };
  if (force) {
    return {
      remove: true,
      because: "--force: if that run still goes on, it stops and rolls back what it was replacing",
    };
  }
  if (lock.liveness === "alive" || lock.fresh === true) {
    return { remove: false, because: "it is still running" };
  }
  return {
    remove: false,
    because: "it runs on another machine (or runner), where this one cannot tell whether it still runs",
  };
}
