import { chmod, mkdir, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/**
 * The tool's folder in the user's cache (XDG Base Directory spec): `$XDG_CACHE_HOME/deploy-orchestrator`, else
 * `~/.cache/deploy-orchestrator`. A relative XDG_CACHE_HOME is ignored, as the spec says: what the tool keeps
 * there (repositories) must not depend on the folder a command happens to run in.
 */
export function toolCacheDir(env: NodeJS.ProcessEnv, home = homedir()): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || home, ".cache");
  return join(base, "deploy-orchestrator");
}

/**
 * Makes `dir` (and any missing parent) private to this user, 0700, tightening an existing one that is more open:
 * the repository cache holds every deployed repository's source. A folder of another user is left as it is.
 */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const mode = (await stat(dir)).mode & 0o777;
  if (mode & 0o077) await chmod(dir, mode & 0o700).catch(() => undefined);
}
