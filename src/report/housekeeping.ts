import { readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { tightenFile } from "./file-modes.js";

/**
 * Moves a service's log file aside (to `<key>.log.1`, replacing an older one) once it is past `maxBytes`, so a
 * deploy from cron every few minutes cannot fill the disk. Done before a run appends, never during.
 */
export async function rotateLogs(
  logsDir: string,
  keys: readonly string[],
  maxBytes: number,
): Promise<string[]> {
  const rotated: string[] = [];
  for (const key of keys) {
    const file = join(logsDir, `${key}.log`);
    const size = await stat(file).then(
      (info) => info.size,
      () => 0,
    );
    if (size <= maxBytes) continue;
    await rename(file, `${file}.1`);
    await tightenFile(`${file}.1`);
    rotated.push(file);
  }
  return rotated;
}

/** Keeps the newest `keep` run summaries under `runs/` (their names sort by start time) and removes the rest. */
export async function pruneRunSummaries(logsDir: string, keep: number): Promise<number> {
  const dir = join(logsDir, "runs");
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => name.endsWith(".json"))
    .sort();
  const stale = names.slice(0, Math.max(0, names.length - keep));
  for (const name of stale) await rm(join(dir, name), { force: true });
  return stale.length;
}
