import { open } from "node:fs/promises";
import path from "node:path";
import { parseManifest } from "./parse.js";
import type { ManifestProblem, ManifestResult } from "./types.js";
import { MAX_MANIFEST_BYTES, tooLarge } from "./yaml.js";

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
  let text: string | null;
  try {
    text = await readAtMost(absolute, MAX_MANIFEST_BYTES);
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: "", message: `cannot read the manifest ${absolute}: ${reason(error)}` }],
    };
  }
  if (text === null) return { ok: false, problems: [{ path: "", message: tooLarge() }] };
  return parseManifest(text, { file: absolute, env });
}

/** The file's text, or null when it is longer than `limit` bytes (read no further: it may be /dev/zero). */
async function readAtMost(file: string, limit: number): Promise<string | null> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return length > limit ? null : buffer.toString("utf8", 0, length);
  } finally {
    await handle.close();
  }
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
