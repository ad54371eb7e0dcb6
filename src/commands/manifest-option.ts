import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import type { Manifest } from "../manifest/types.js";

/** Options every command takes. */
export interface GlobalArgs {
  file: string;
}

/** Loads the manifest or throws a UsageError listing every problem in it (exit 2, nothing touched). */
export async function loadManifestOrThrow(
  file: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Manifest> {
  // Loaded on use (YAML and schema libraries): --help and usage errors start without them.
  const { formatProblem, loadManifest } = await import("../manifest/load.js");
  const path = resolve(cwd, file);
  const result = await loadManifest(path, env);
  if (result.ok) return result.manifest;
  const count = result.problems.length;
  const lines = result.problems.map((problem) => `  ${formatProblem(problem)}`);
  throw new UsageError(`${path}: ${count} problem${count === 1 ? "" : "s"}:\n${lines.join("\n")}`);
}
