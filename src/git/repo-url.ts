import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * The URL git is given for a manifest `repo`. A local path becomes a file:// URL because git ignores
 * `--depth` for plain local paths (it hard-links the whole object store instead of a shallow fetch).
 */
export function fetchUrl(repo: string): string {
  return isAbsolute(repo) ? pathToFileURL(repo).href : repo;
}
