import { LABEL } from "../labels.js";
import { findCycles } from "./cycles.js";
import { isValidName, NAME_RULE } from "./names.js";
import { keyPath, type LoadContext, type ServiceSource } from "./normalise.js";
import { escapes, isGitUrl, isInside } from "./paths.js";
import type { Path } from "./problems.js";
import { type Manifest, type PortMapping, RESERVED_SERVICE_NAMES, type ServiceSpec } from "./types.js";

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

const RESERVED: ReadonlySet<string> = new Set(RESERVED_SERVICE_NAMES);
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const LABEL_PREFIX = `${LABEL.project.split(".").slice(0, 2).join(".")}.`;

/** Services become container names, image names and CLI arguments. */
export const serviceNamesAreValid: Rule = ({ serviceNames, load }) => {
  for (const name of serviceNames) {
    if (RESERVED.has(name)) {
      load.problems.add(
        ["services", name],
        `"${name}" is reserved for a command of the CLI: rename the service`,
      );
    } else if (!isValidName(name)) {
      load.problems.add(
        ["services", name],
        `service name "${name}" must be ${NAME_RULE} (it names containers and images)`,
      );
    }
  }
};

/** Host names go into status file names (`<service>@<host>.status.json`). */
export const hostNamesAreValid: Rule = ({ hostNames, load }) => {
  for (const name of hostNames) {
    if (!HOST_NAME.test(name)) {
      load.problems.add(
        ["hosts", name],
        `host name "${name}" must be letters, digits, ".", "_" and "-" (it names files)`,
      );
    }
  }
};

export const hostsAreKnown: Rule = ({ manifest, sources, hostNames, load }) => {
  for (const spec of services(manifest, sources)) {
    for (const host of spec.spec.hosts) {
      if (hostNames.includes(host)) continue;
      const path = hostPath(spec.source, host);
      load.problems.add(
        path,
        `unknown host ${load.shown(path, `"${host}"`)} (defined: ${hostNames.join(", ")})`,
      );
    }
  }
};

/** Where a service's host name was written: its own host/hosts, else the defaults'. */
function hostPath(source: ServiceSource, host: string): Path {
  const from = (owner: Path, written: { host?: string; hosts?: string[] }): Path | undefined => {
    if (written.hosts !== undefined) return [...owner, "hosts", Math.max(0, written.hosts.indexOf(host))];
    return written.host === undefined ? undefined : [...owner, "host"];
  };
  return (
    from(["services", source.name], source.own) ??
    from(["defaults"], source.defaults) ?? ["services", source.name]
  );
}

export const dependenciesExist: Rule = ({ manifest, sources, serviceNames, load }) => {
  for (const { spec, source } of services(manifest, sources)) {
    (source.own.depends_on ?? []).forEach((dependency, index) => {
      const path = ["services", spec.name, "depends_on", index];
      if (dependency === spec.name) load.problems.add(path, "a service cannot depend on itself");
      else if (!serviceNames.includes(dependency)) {
        load.problems.add(
          path,
          `unknown service ${load.shown(path, `"${dependency}"`)} (services: ${serviceNames.join(", ")})`,
        );
      }
    });
  }
};

export const noDependencyCycles: Rule = ({ manifest, load }) => {
  const graph = new Map(Object.values(manifest.services).map((spec) => [spec.name, spec.dependsOn]));
  for (const cycle of findCycles(graph)) {
    const [first = "", second = ""] = cycle;
    const index = manifest.services[first]?.dependsOn.indexOf(second) ?? 0;
    load.problems.add(
      ["services", first, "depends_on", index],
      `dependency cycle: ${[...cycle, first].join(" -> ")}`,
    );
  }
};

/** Two containers cannot publish one host port: same protocol and port, on the same address or on all of them. */
export const hostPortsAreUnique: Rule = ({ manifest, sources, load }) => {
  const taken = new Map<string, { service: string; port: PortMapping }[]>();
  for (const { spec, source } of services(manifest, sources)) {
    // Hosts left out for a problem would mean "local" here: judge no port on a guess.
    if (source.invalid.has("host") || source.invalid.has("hosts")) continue;
    spec.ports.forEach((port, index) => {
      for (const host of spec.hosts) {
        const onHost = taken.get(host) ?? [];
        const clash = onHost.find((other) => clashes(other.port, port));
        if (clash) {
          const path = keyPath(source, "ports", index);
          const what = load.shown(path, `${port.hostPort}/${port.protocol}`);
          const where = load.shown(hostPath(source, host), host);
          const owner = clash.service === spec.name ? "this service already" : `service ${clash.service}`;
          load.problems.add(path, `host port ${what} on host ${where} is also published by ${owner}`);
        }
        taken.set(host, [...onHost, { service: spec.name, port }]);
      }
    });
  }
};

function clashes(a: PortMapping, b: PortMapping): boolean {
  const everywhere = (ip: string | undefined) => ip === undefined || ip === "0.0.0.0" || ip === "::";
  return (
    a.protocol === b.protocol &&
    a.hostPort === b.hostPort &&
    (a.hostIp === b.hostIp || everywhere(a.hostIp) || everywhere(b.hostIp))
  );
}

export const contextInsideRepository: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of services(manifest, sources)) {
    if (escapes(spec.context)) {
      load.problems.add(
        keyPath(source, "context"),
        "must be a folder inside the repository (relative, not climbing out with ..)",
      );
    }
  }
};

export const dockerfileInsideContext: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of services(manifest, sources)) {
    if (escapes(spec.dockerfile)) {
      load.problems.add(
        keyPath(source, "dockerfile"),
        "must be inside context (relative to it, not climbing out with ..)",
      );
    }
  }
};

export const envFileInsideManifestFolder: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of services(manifest, sources)) {
    if (spec.envFile !== undefined && !isInside(load.dir, spec.envFile)) {
      load.problems.add(
        keyPath(source, "env_file"),
        "must be inside the manifest's folder (relative, not climbing out with ..)",
      );
    }
  }
};

export const localRepositoryExists: Rule = ({ manifest, load }) => {
  for (const spec of Object.values(manifest.services)) {
    if (isGitUrl(spec.repo) || load.exists(spec.repo)) continue;
    const path = ["services", spec.name, "repo"];
    load.problems.add(
      path,
      `local repository ${load.shown(path, spec.repo)} not found (give a git URL, or a path from the manifest's folder)`,
    );
  }
};

/** The tool finds its containers by its own labels: a service must not be able to forge them. */
export const labelsNotReserved: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of services(manifest, sources)) {
    for (const key of Object.keys(spec.labels)) {
      if (!key.startsWith(LABEL_PREFIX)) continue;
      const path =
        source.own.labels?.[key] === undefined
          ? ["defaults", "labels", key]
          : ["services", spec.name, "labels", key];
      load.problems.add(
        path,
        `label "${key}" uses the prefix ${LABEL_PREFIX} that the tool keeps for itself`,
      );
    }
  }
};

export const RULES: readonly Rule[] = [
  serviceNamesAreValid,
  hostNamesAreValid,
  hostsAreKnown,
  dependenciesExist,
  noDependencyCycles,
  hostPortsAreUnique,
  contextInsideRepository,
  dockerfileInsideContext,
  envFileInsideManifestFolder,
  localRepositoryExists,
  labelsNotReserved,
];

export function applyRules(ctx: RuleContext): void {
  for (const rule of RULES) rule(ctx);
}

function services(manifest: Manifest, sources: ReadonlyMap<string, ServiceSource>) {
  const pairs: { spec: ServiceSpec; source: ServiceSource }[] = [];
  for (const spec of Object.values(manifest.services)) {
    const source = sources.get(spec.name);
    if (source) pairs.push({ spec, source });
  }
  return pairs;
}
