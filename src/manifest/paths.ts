import path from "node:path";

/** `scheme://…` (https, ssh, git, file…) or scp-like `user@host:path`: git's own syntaxes, left as written. */
const GIT_URL = /^(?:[a-z][a-z0-9+.-]*:\/\/|[^\s/@]+@[^\s/:]+:)/i;

export function isGitUrl(repo: string): boolean {
  return GIT_URL.test(repo);
}

/** `~` and `~/x` mean the caller's home folder, as in a shell. */
export function expandHome(written: string, home: string): string {
  if (written === "~") return home;
  return written.startsWith("~/") ? path.join(home, written.slice(2)) : written;
}

/** An absolute path for a path written relative to the manifest's folder. */
export function fromManifestDir(dir: string, written: string, home: string): string {
  return path.resolve(dir, expandHome(written, home));
}

export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return (
    relative === "" ||
    (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}

/** A folder or file inside the repository, posix, normalised: "./api/" -> "api", "" or "./" -> ".". */
export function normaliseRelative(written: string): string {
  const normal = path.posix.normalize(written.replaceAll("\\", "/"));
  return normal === "/" ? normal : normal.replace(/\/+$/, "") || ".";
}

/** True for a normalised relative path that is absolute or climbs out of where it starts. */
export function escapes(normalised: string): boolean {
  return path.posix.isAbsolute(normalised) || normalised === ".." || normalised.startsWith("../");
}

/** Host paths of bind mounts ("./config:/config:ro") made absolute; named volumes are left as they are. */
export function resolveVolume(volume: string, dir: string, home: string): string {
  const colon = volume.indexOf(":");
  if (colon < 0) return volume;
  const source = volume.slice(0, colon);
  const isHostPath = source === "." || source === ".." || /^(?:\.\.?\/|\/|~)/.test(source);
  return isHostPath ? `${fromManifestDir(dir, source, home)}${volume.slice(colon)}` : volume;
}
