import { errorMessage } from "../errors.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { forceUnlockEngine } from "../lock/engine-lock.js";
import { describeHolder } from "../lock/holder.js";
import { forceUnlockLocal } from "../lock/local-lock.js";
import { type GlobalArgs, loadManifestOrThrow } from "./manifest-option.js";

/** `deploy unlock`: removes a stuck project lock here and on every host of the manifest, saying whose it was. */
export async function unlockAction(argv: GlobalArgs, io: Io): Promise<number> {
  const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
  const say = (line: string) => io.stdout.write(`${line}\n`);
  const local = await forceUnlockLocal(manifest.dir, manifest.project);
  say(local ? `this machine: removed lock of ${describeHolder(local)}` : "this machine: not locked");
  const pool = new HostPool(connectHost);
  let code = 0;
  try {
    for (const host of Object.values(manifest.hosts)) {
      try {
        const holder = await forceUnlockEngine(await pool.engine(host), manifest.project);
        say(`host ${host.name}: ${holder ? `removed lock of ${describeHolder(holder)}` : "not locked"}`);
      } catch (error) {
        code = 1;
        io.stderr.write(`deploy: host ${host.name}: could not check its lock: ${errorMessage(error)}\n`);
      }
    }
  } finally {
    await pool.closeAll();
  }
  return code;
}
