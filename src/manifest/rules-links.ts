import { dependencyEntries } from "./compose-forms.js";
import { findCycles } from "./cycles.js";
import { keyPath, type ServiceSource } from "./normalise.js";
import type { Path } from "./problems.js";
import { hostPath, type Rule, servicesOf } from "./rule-context.js";
import type { PortMapping } from "./types.js";

/** The rules about what points at what: hosts, dependencies (and their cycles), published ports. */

export const hostsAreKnown: Rule = ({ manifest, sources, hostNames, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    for (const host of spec.hosts) {
      if (hostNames.includes(host)) continue;
      const path = hostPath(source, host);
      load.problems.add(
        path,
        `unknown host ${load.shown(path, `"${host}"`)} (defined: ${hostNames.join(", ")})`,
      );
    }
  }
};

/** Where a dependency is written: `depends_on.<index>` in the list form, `depends_on.<name>` in the map form. */
function dependencyPath(source: ServiceSource | undefined, service: string, dependency: string): Path {
  const entry = dependencyEntries(source?.own.depends_on).find((each) => each.name === dependency);
  return ["services", service, "depends_on", entry?.at ?? 0];
}

export const dependenciesExist: Rule = ({ manifest, sources, serviceNames, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    for (const { name: dependency, at } of dependencyEntries(source.own.depends_on)) {
      const path = ["services", spec.name, "depends_on", at];
      if (dependency === spec.name) load.problems.add(path, "a service cannot depend on itself");
      else if (!serviceNames.includes(dependency)) {
        load.problems.add(
          path,
          `unknown service ${load.shown(path, `"${dependency}"`)} (services: ${serviceNames.join(", ")})`,
        );
      }
    }
  }
};

/** Only a job completes: `service_completed_successfully` on a service would wait for ever. */
export const completionNeedsJob: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    for (const { name, condition, at } of dependencyEntries(source.own.depends_on)) {
      const dependency = manifest.services[name];
      if (condition !== "service_completed_successfully" || dependency?.kind !== "service") continue;
      load.problems.add(
        ["services", spec.name, "depends_on", at, "condition"],
        `${name} is not a job (kind: job), so it never completes: use service_healthy or service_started`,
      );
    }
  }
};

export const noDependencyCycles: Rule = ({ manifest, sources, load }) => {
  const graph = new Map(Object.values(manifest.services).map((spec) => [spec.name, spec.dependsOn]));
  for (const cycle of findCycles(graph)) {
    const [first = "", second = ""] = cycle;
    load.problems.add(
      dependencyPath(sources.get(first), first, second),
      `dependency cycle: ${[...cycle, first].join(" -> ")}`,
    );
  }
};

/** Two containers cannot publish one host port: same protocol and port, on the same address or on all of them. */
export const hostPortsAreUnique: Rule = ({ manifest, sources, load }) => {
  const taken = new Map<string, { service: string; port: PortMapping }[]>();
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    // Hosts left out for a problem would mean "local" here: judge no port on a guess.
    if (source.invalid.has("host") || source.invalid.has("hosts")) continue;
    spec.ports.forEach((port, index) => {
      if (port.hostPort === 0) return; // a port per task, picked by the engine: nothing to clash with
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
