import { keyPath } from "./normalise.js";
import { hostPath, type Rule, servicesOf } from "./rule-context.js";
import type { Manifest, ServiceSpec } from "./types.js";

/** The rules of services on Swarm hosts (SPEC §11): what they need, and what only they may use. */

const onSwarm = (manifest: Manifest, spec: ServiceSpec) =>
  spec.hosts.filter((host) => manifest.hosts[host]?.swarm === true);

/** Every node pulls the image: it must be pushed somewhere they all reach. */
export const swarmServicesNeedRegistry: Rule = ({ manifest, sources, load }) => {
  if (manifest.registry) return;
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    for (const host of onSwarm(manifest, spec)) {
      load.problems.add(
        hostPath(source, host),
        `host ${host} is a Swarm manager: its services need a top-level \`registry: { url, username, password }\` that every node pulls from`,
      );
    }
  }
};

/** replicas, placement, update, port modes and per-task ports mean nothing to a single engine. */
export const swarmKeysNeedSwarmHost: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    if (source.invalid.has("host") || source.invalid.has("hosts")) continue;
    const plain = spec.hosts.filter((host) => manifest.hosts[host] && !manifest.hosts[host]?.swarm);
    if (plain.length === 0) continue;
    const where = `host ${plain.join(", ")} is not a Swarm manager (\`swarm: true\`)`;
    for (const key of ["replicas", "placement", "update"] as const) {
      if (spec[key] !== undefined) load.problems.add(keyPath(source, key), `Swarm only: ${where}`);
    }
    spec.ports.forEach((port, index) => {
      if (port.mode !== undefined)
        load.problems.add(keyPath(source, "ports", index, "mode"), `Swarm only: ${where}`);
      else if (port.hostPort === 0) {
        load.problems.add(keyPath(source, "ports", index), `needs \`published\`: ${where}`);
      }
    });
  }
};

/** What a Swarm service cannot be: a job, behind the per-host proxy, bound to one address. */
export const swarmServiceLimits: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    if (onSwarm(manifest, spec).length === 0) continue;
    if (spec.kind === "job")
      load.problems.add(keyPath(source, "kind"), "a job cannot run as a Swarm service");
    if (spec.proxy) {
      load.problems.add(
        keyPath(source, "proxy"),
        "the proxy fronts containers of one engine, not Swarm services",
      );
    }
    spec.ports.forEach((port, index) => {
      const path = keyPath(source, "ports", index);
      if (port.hostIp)
        load.problems.add(path, "a Swarm service publishes on every address: leave out the ip");
      if (port.hostPort === 0 && port.mode !== "host") {
        load.problems.add(path, "`published` may be left out in `mode: host` only");
      }
      // Two tasks cannot hold one host port on one node: the new task would wait for the old one forever.
      if (spec.update?.order === "start-first" && port.mode === "host" && port.hostPort !== 0) {
        load.problems.add(
          path,
          "with update.order start-first, a host-mode port cannot be fixed (the new task starts beside the old one): leave out `published`, or use stop-first",
        );
      }
    });
  }
};

export const SWARM_RULES: readonly Rule[] = [
  swarmServicesNeedRegistry,
  swarmKeysNeedSwarmHost,
  swarmServiceLimits,
];
