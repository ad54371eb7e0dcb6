import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { describeHolder, holderIsGone, type LockHolder } from "./holder.js";

export type LocalLockResult =
  | { ok: true; release: () => Promise<void>; warning?: string }
  | { ok: false; holder: Partial<LockHolder>; message: string };

/** How long a held lock goes without being refreshed before it counts as abandoned. */
const STALE_MS = 30_000;

function lockPathOf(dir: string, project: string): string {
  return join(dir, `.${project}.deploy.lock`);
}

/**
 * The project's lock on this machine, beside the manifest: it also keeps two runs from writing the same log
 * and status files. proper-lockfile keeps the lock fresh while held (so a crashed holder's lock goes stale);
 * the holder file beside it says who holds it, and a holder whose process is gone is taken over at once.
 * When the lock is taken away while held (`deploy unlock --force`), `onLost` is told, and nothing is thrown.
 */
export async function acquireLocalLock(
  dir: string,
  project: string,
  holder: LockHolder,
  onLost: (why: string) => void = () => undefined,
): Promise<LocalLockResult> {
  await mkdir(dir, { recursive: true });
  const lockPath = lockPathOf(dir, project);
  const holderPath = `${lockPath}.json`;
  let warning: string | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    let lost = false;
    try {
      const release = await lockfile.lock(dir, {
        lockfilePath: lockPath,
        stale: STALE_MS,
        update: 10_000,
        retries: 0,
        // proper-lockfile's default throws from a timer: an uncaught exception in the middle of a replace.
        onCompromised: () => {
          lost = true;
          onLost(`lock file ${lockPath} removed or replaced`);
        },
      });
      await writeFile(holderPath, `${JSON.stringify(holder)}\n`, { mode: 0o640 });
      return {
        ok: true,
        warning,
        release: async () => {
          if (lost) return; // the lock and holder file are someone else's now
          await rm(holderPath, { force: true });
          await release();
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
    }
    const current = await readJson(holderPath);
    if (!holderIsGone(current))
      return { ok: false, holder: current, message: `locked by ${describeHolder(current)}` };
    warning = `took over a stale local lock left by ${describeHolder(current)} (that process is gone)`;
    await rm(lockPath, { recursive: true, force: true });
  }
  return { ok: false, holder: {}, message: "the local lock kept changing hands; try again" };
}

/** The local lock as `deploy unlock` sees it: who holds it, and whether its holder still refreshes it. */
export interface LocalLockState {
  holder: Partial<LockHolder>;
  /** Refreshed within the stale threshold: its holder was running a few seconds ago. */
  fresh: boolean;
}

export async function inspectLocalLock(dir: string, project: string): Promise<LocalLockState | null> {
  const lockPath = lockPathOf(dir, project);
  const holder = await readJson(`${lockPath}.json`);
  const fresh = await lockfile
    .check(dir, { lockfilePath: lockPath, realpath: false, stale: STALE_MS })
    .catch(() => false);
  if (!fresh && Object.keys(holder).length === 0 && !(await exists(lockPath))) return null;
  return { holder, fresh };
}

export async function removeLocalLock(dir: string, project: string): Promise<void> {
  const lockPath = lockPathOf(dir, project);
  await rm(lockPath, { recursive: true, force: true });
  await rm(`${lockPath}.json`, { force: true });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readJson(path: string): Promise<Partial<LockHolder>> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch {
    return {};
  }
}
