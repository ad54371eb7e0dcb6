import { chmodSync, statSync } from "node:fs";
import { chmod, stat } from "node:fs/promises";

/**
 * Logs, status files and run summaries carry commits, errors and host names: readable by the user and its
 * group, never by everyone (SPEC §12). Folders the tool creates for them are the same.
 */
export const FILE_MODE = 0o640;
export const DIR_MODE = 0o750;

/** Pure: `mode`'s permission bits without any beyond FILE_MODE's; null when it is already that strict. */
export function tightened(mode: number, limit = FILE_MODE): number | null {
  const bits = mode & 0o777;
  return bits & ~limit ? bits & limit : null;
}

/** Tightens an existing file written by an older version (or a wide umask); a missing file is fine. */
export async function tightenFile(path: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  const mode = info && tightened(info.mode);
  if (mode !== null && mode !== undefined) await chmod(path, mode);
}

export function tightenFileSync(path: string): void {
  let mode: number | null = null;
  try {
    mode = tightened(statSync(path).mode);
  } catch {
    return; // not there yet: it is created with FILE_MODE
  }
  if (mode !== null) chmodSync(path, mode);
}
