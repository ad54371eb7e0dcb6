import type { LoadContext, ServiceSource } from "./normalise.js";
import type { Path } from "./problems.js";
import type { Manifest, ServiceSpec } from "./types.js";

/**
 * Cross-field rules over the normalised manifest, each small and named, each adding problems with a path.
 * They run even when some services failed the schema: `manifest.services` then holds only the valid ones,
 * while `serviceNames` and `hostNames` still know every written name (so no false "unknown" follows).
 */
export interface RuleContext {
  manifest: Manifest;
  sources: ReadonlyMap<string, ServiceSource>;
  serviceNames: readonly string[];
  hostNames: readonly string[];
  load: LoadContext;
}

export type Rule = (ctx: RuleContext) => void;

/** Each resolved service with what was written for it, for rules that point at where a value came from. */
export function servicesOf(ctx: Pick<RuleContext, "manifest" | "sources">) {
  const pairs: { spec: ServiceSpec; source: ServiceSource }[] = [];
  for (const spec of Object.values(ctx.manifest.services)) {
    const source = ctx.sources.get(spec.name);
    if (source) pairs.push({ spec, source });
  }
  return pairs;
}

/** Where a service's host name was written: its own host/hosts, else the defaults'. */
export function hostPath(source: ServiceSource, host: string): Path {
  const from = (owner: Path, written: { host?: string; hosts?: string[] }): Path | undefined => {
    if (written.hosts !== undefined) return [...owner, "hosts", Math.max(0, written.hosts.indexOf(host))];
    return written.host === undefined ? undefined : [...owner, "host"];
  };
  return (
    from(["services", source.name], source.own) ??
    from(["defaults"], source.defaults) ?? ["services", source.name]
  );
}
