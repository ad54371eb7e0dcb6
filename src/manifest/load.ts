import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseManifest } from "./parse.js";
import type { ManifestProblem, ManifestResult } from "./types.js";

export { type ParseOptions, parseManifest } from "./parse.js";

/**
 * Reads and resolves a manifest. Never throws for a bad manifest: every problem comes back in the result, so
 * `deploy validate` can print them all; an unreadable file is a single problem for the whole document.
 */
export async function loadManifest(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ManifestResult> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: "", message: `cannot read the manifest ${absolute}: ${reason(error)}` }],
    };
  }
  return parseManifest(text, { file: absolute, env });
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file (give another one with -f)";
  if (code === "EISDIR") return "it is a folder";
  if (code === "EACCES") return "permission denied";
  return error instanceof Error ? error.message : String(error);
}

/** `services.auth-service.health.timeout (line 31): message`; `(document)` stands for the path "". */
export function formatProblem(problem: ManifestProblem): string {
  const where = problem.path === "" ? "(document)" : problem.path;
  const line = problem.line === undefined ? "" : ` (line ${problem.line})`;
  return `${where}${line}: ${problem.message}`;
}
