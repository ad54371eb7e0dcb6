import { UsageError } from "../errors.js";
import type { Manifest } from "../manifest/types.js";

/** Turns the `<services>` argument (`all` or a comma list) into service names, in manifest order. */
export function selectServices(manifest: Manifest, selection: string): string[] {
  const known = Object.keys(manifest.services);
  const requested = selection
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (requested.length === 0) throw new UsageError(`no service named; known services: ${known.join(", ")}`);
  if (requested.includes("all")) return known;
  const unknown = requested.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const noun = unknown.length === 1 ? "service" : "services";
    throw new UsageError(`unknown ${noun} ${unknown.join(", ")}; known services: ${known.join(", ")}`);
  }
  return known.filter((name) => requested.includes(name));
}
