import type { Argv, CommandModule } from "yargs";
import { EXIT, errorMessage } from "../errors.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { readEngineLock, removeEngineLock } from "../lock/engine-lock.js";
import { describeHolder, livenessHere } from "../lock/holder.js";
import { type HeldLock, unlockVerdict } from "../lock/unlock-rule.js";
import { type GlobalArgs, loadManifestOrThrow } from "./manifest-option.js";

/** `deploy unlock`: removes a stuck project lock here and on every host of the manifest, saying whose it was. */
export function unlockCommand(
  io: Io,
  setExit: (code: number) => void,
): CommandModule<GlobalArgs, UnlockArgs> {
  return {
    command: "unlock",
    describe: "Remove a stuck deploy lock of this project (here and on every host) whose holder is gone",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .option("force", {
          type: "boolean",
          describe: "remove it even while its holder runs (that deploy stops and rolls back)",
        })
        .example("$0 unlock", "after a deploy was killed on this machine")
        .example("$0 unlock --force", "after a deploy was killed on another machine or CI runner"),
    handler: async (argv) => {
      setExit(await unlockAction(argv, io));
    },
  };
}

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

  // Loaded on use (file-locking libraries): --help starts without them.
  const { inspectLocalLock, removeLocalLock } = await import("../lock/local-lock.js");
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
