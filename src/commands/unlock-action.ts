import { EXIT, errorMessage } from "../errors.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { readEngineLock, removeEngineLock } from "../lock/engine-lock.js";
import { describeHolder, livenessHere } from "../lock/holder.js";
import { inspectLocalLock, removeLocalLock } from "../lock/local-lock.js";
import { type HeldLock, unlockVerdict } from "../lock/unlock-rule.js";
import { type GlobalArgs, loadManifestOrThrow } from "./manifest-option.js";

export interface UnlockArgs extends GlobalArgs {
  force?: boolean;
}

/**
 * `deploy unlock`: removes the project's lock here and on every host of the manifest when its holder is gone,
 * saying whose it was. A lock whose holder still runs (or cannot be checked) stays unless `--force`: exit 3.
 */
export async function unlockAction(argv: UnlockArgs, io: Io): Promise<number> {
  const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
  const force = argv.force === true;
  let refused = false;
  let failed = false;
  const decide = async (where: string, lock: HeldLock & { holder: object }, remove: () => Promise<void>) => {
    const verdict = unlockVerdict(lock, force);
    const whose = describeHolder(lock.holder);
    if (verdict.remove) {
      await remove();
      io.stdout.write(`${where}: removed lock of ${whose} (${verdict.because})\n`);
      return;
    }
    refused = true;
    io.stderr.write(
      `deploy: ${where}: locked by ${whose}; ${verdict.because}, so the lock stays. ` +
        "Wait for it, or stop it with `deploy unlock --force`\n",
    );
  };

  const local = await inspectLocalLock(manifest.dir, manifest.project);
  if (!local) io.stdout.write("this machine: not locked\n");
  else
    await decide("this machine", { ...local, liveness: livenessHere(local.holder) }, () =>
      removeLocalLock(manifest.dir, manifest.project),
    );

  const pool = new HostPool(connectHost);
  try {
    for (const host of Object.values(manifest.hosts)) {
      const where = `host ${host.name}`;
      try {
        const engine = await pool.engine(host);
        const lock = await readEngineLock(engine, manifest.project);
        if (!lock) io.stdout.write(`${where}: not locked\n`);
        else
          await decide(where, { holder: lock.holder, liveness: livenessHere(lock.holder) }, () =>
            removeEngineLock(engine, lock.id),
          );
      } catch (error) {
        failed = true;
        io.stderr.write(`deploy: ${where}: could not check its lock: ${errorMessage(error)}\n`);
      }
    }
  } finally {
    await pool.closeAll();
  }
  return refused ? EXIT.locked : failed ? EXIT.failed : EXIT.ok;
}
