import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { CLI, REPO_ROOT } from "./cli.js";

const HINT = "run `bash scripts/setup.sh` (as root) first, or the whole suite with `npm test`";

/** Newest modification time under `path` (a file or a folder), in ms. */
function newest(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** The same rule as scripts/setup.sh: rebuild dist/ when src/ or the build config changed after the last build. */
function ensureBuilt(): void {
  const stamp = join(REPO_ROOT, "dist", ".build-stamp");
  const inputs = ["src", "scripts/build.mjs", "package-lock.json"].map((p) => join(REPO_ROOT, p));
  const built = existsSync(CLI) ? newest(stamp) : 0;
  if (built > 0 && inputs.every((input) => newest(input) <= built)) return;
  try {
    execFileSync("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, stdio: "pipe", encoding: "utf8" });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`e2e: dist/ is out of date and \`npm run build\` failed:\n${stdout}${stderr}`);
  }
  writeFileSync(stamp, "");
  const now = new Date();
  utimesSync(stamp, now, now);
}

export async function setup(): Promise<void> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(`e2e: no Docker engine answers (${(error as Error).message}); ${HINT}`);
  }
  try {
    await docker.getImage("busybox:latest").inspect();
  } catch {
    throw new Error(`e2e: the base image busybox:latest is missing; ${HINT}`);
  }
  ensureBuilt();
}
