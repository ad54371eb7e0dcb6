import type { Clock } from "../clock.js";
import { LockedError } from "../errors.js";
import type { HostPool } from "../hosts/pool.js";
import type { HostSpec } from "../manifest/types.js";
import { acquireEngineLock } from "./engine-lock.js";
import type { LockHolder } from "./holder.js";
import { acquireLocalLock } from "./local-lock.js";

const RETRY_MS = 1000;

export interface ProjectLockOptions {
  /** Folder of the local lock (beside the manifest). */
  dir: string;
  project: string;
  holder: LockHolder;
  /** Every host the run will touch; unreachable ones are left to fail their services in phase `connect`. */
  hosts: HostSpec[];
  pool: HostPool;
  /** How long to wait for a held lock before giving up (0 = exit 3 at once). */
  waitMs: number;
  clock: Clock;
  warn: (message: string) => void;
  /** Told once when a lock is taken away while held (`deploy unlock --force`): where, and how. */
  onLost?: (why: string) => void;
}

/**
 * Takes the project's lock on this machine and on every reachable target engine before anything is touched,
 * all or nothing: when one is held, the ones already taken are released and a LockedError (exit 3) says who
 * holds it. With `waitMs`, it retries until the holder is done or the time is up.
 */
export async function acquireProjectLock(options: ProjectLockOptions): Promise<() => Promise<void>> {
  const deadline = options.clock.now() + options.waitMs;
  for (let tries = 0; ; tries++) {
    const attempt = await tryAcquire(options);
    if (attempt.ok) return attempt.release;
    const waiting = options.clock.now() + RETRY_MS <= deadline;
    // Said once: a CI log shows why the job sat still, and for whom.
    if (waiting && tries === 0)
      options.warn(`waiting for the project lock: ${attempt.where} is ${attempt.message}`);
    if (!waiting) {
      throw new LockedError(
        `another deploy of project ${options.project} is running: ${attempt.where} is ${attempt.message}; ` +
          "wait for it (--lock-wait 10m), or if it is stuck run `deploy unlock`",
      );
    }
    await options.clock.sleep(RETRY_MS);
  }
}

type Attempt = { ok: true; release: () => Promise<void> } | { ok: false; where: string; message: string };

async function tryAcquire(options: ProjectLockOptions): Promise<Attempt> {
  const releases: Array<() => Promise<void>> = [];
  let released = false;
  const releaseAll = async () => {
    released = true;
    for (const release of releases.reverse()) await release().catch(() => undefined);
  };
  let told = false;
  const lost = (where: string) => (why: string) => {
    if (told || released) return;
    told = true;
    options.onLost?.(where ? `${where}: ${why}` : why);
  };
  const local = await acquireLocalLock(options.dir, options.project, options.holder, lost(""));
  if (!local.ok) return { ok: false, where: "this machine", message: local.message };
  if (local.warning) options.warn(local.warning);
  releases.push(local.release);
  for (const host of options.hosts) {
    const engine = await options.pool.engine(host).catch(() => null);
    if (!engine) continue;
    const lock = await acquireEngineLock(
      engine,
      options.project,
      options.holder,
      lost(`host ${host.name}`),
    ).catch((error: Error) => ({
      ok: false as const,
      message: `unreadable (${error.message})`,
    }));
    if (!lock.ok) {
      await releaseAll();
      return { ok: false, where: `host ${host.name}`, message: lock.message };
    }
    if (lock.warning) options.warn(`host ${host.name}: ${lock.warning}`);
    releases.push(lock.release);
  }
  return { ok: true, release: releaseAll };
}
