/**
 * Files of the installed package. This module sits one folder below the package root, as every module of the
 * build does (dist/*.js, scripts/build.mjs), so one relative URL serves both.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The absolute path of a file of the package, e.g. `schema/services.schema.json`. */
export function packageFile(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

/** The package's version, from its package.json (read only when asked: `deploy --version`). */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version?: unknown };
  return typeof manifest.version === "string" ? manifest.version : "unknown";
}
