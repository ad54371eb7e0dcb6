import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { describeHolder, holderIsGone, type LockHolder } from "./holder.js";

export type LocalLockResult =
  | { ok: true; release: () => Promise<void>; warning?: string }
  | { ok: false; holder: Partial<LockHolder>; message: string };

/**
 * The project's lock on this machine, beside the manifest: it also keeps two runs from writing the same log
 * and status files. proper-lockfile keeps the lock fresh while held (so a crashed holder's lock goes stale);
 * the holder file beside it says who holds it, and a holder whose process is gone is taken over at once.
 */
export async function acquireLocalLock(
  dir: string,
  project: string,
  holder: LockHolder,
): Promise<LocalLockResult> {
  await mkdir(dir, { recursive: true });
  const lockPath = join(dir, `.${project}.deploy.lock`);
  const holderPath = `${lockPath}.json`;
  let warning: string | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const release = await lockfile.lock(dir, {
        lockfilePath: lockPath,
        stale: 30_000,
        update: 10_000,
        retries: 0,
      });
      await writeFile(holderPath, `${JSON.stringify(holder)}\n`);
      return {
        ok: true,
        warning,
        release: async () => {
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

export async function forceUnlockLocal(dir: string, project: string): Promise<Partial<LockHolder> | null> {
  const lockPath = join(dir, `.${project}.deploy.lock`);
  const holder = await readJson(`${lockPath}.json`);
  const existed = await lockfile.check(dir, { lockfilePath: lockPath, realpath: false }).catch(() => false);
  await rm(lockPath, { recursive: true, force: true });
  await rm(`${lockPath}.json`, { force: true });
  return existed || Object.keys(holder).length > 0 ? holder : null;
}

async function readJson(path: string): Promise<Partial<LockHolder>> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch {
    return {};
  }
}
