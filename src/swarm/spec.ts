import { createHash } from "node:crypto";
import { type ContainerInputs, configHash, deployLabels } from "../docker/specs.js";
import type { MountSettings, RegistryAuth, SwarmServiceSpec } from "../docker/swarm-engine.js";
import { containerName, imageRepository, LABEL } from "../labels.js";
import type { RegistrySpec, ServiceSpec } from "../manifest/types.js";
import { revealAll } from "../secret.js";

/** Labels only Swarm services carry (beside the LABEL set every target carries). */
export const SWARM_LABEL = {
  /** The image's id on the manager that built it: what `releases` and `rollback` match releases by. */
  imageId: "io.deploy.swarm.image-id",
  /** The tag the service's image was pushed under (the task image is that tag pinned by digest). */
  imageTag: "io.deploy.swarm.image-tag",
} as const;

/** How long Swarm watches each updated task for a failure before it counts as updated (`--update-monitor`). */
export const MONITOR_NS = 5e9;

/** `<registry>/<project>/<service>:<commit12>`. */
export function swarmImageTag(
  registry: RegistrySpec,
  project: string,
  service: string,
  commit: string,
): string {
  return `${registry.url}/${imageRepository(project, service)}:${commit.slice(0, 12)}`;
}

/** The Swarm service's name: the same as the container's on a plain host. */
export function swarmServiceName(project: string, service: string): string {
  return containerName(project, service);
}

/**
 * The config hash of a Swarm service: the container one, plus where its image comes from (a new registry means a
 * new image reference, though nothing else changed).
 */
export function swarmConfigHash(service: ServiceSpec, registry: RegistrySpec): string {
  return createHash("sha256")
    .update(JSON.stringify([configHash(service), registry.url]))
    .digest("hex");
}

/** The credentials sent with a push and with the service (so every node can pull): X-Registry-Auth. */
export function registryAuth(registry: RegistrySpec): RegistryAuth {
  return {
    serveraddress: registry.url.split("/")[0] ?? registry.url,
    ...(registry.username === undefined ? {} : { username: registry.username }),
    ...(registry.password === undefined ? {} : { password: registry.password.reveal() }),
  };
}

export interface SwarmInputs extends ContainerInputs {
  registry: RegistrySpec;
  /** The pushed image's digest (`sha256:…`): tasks run exactly it, whatever its tag points at later. */
  digest: string;
  /** The image's id on the manager. */
  imageId: string;
  /** Swarm's ForceUpdate counter: raised to restart every task when nothing else in the spec changed. */
  forceUpdate?: number;
}

const RESTART_CONDITION = {
  no: "none",
  always: "any",
  "unless-stopped": "any",
  "on-failure": "on-failure",
} as const;

/** Pure: the engine's create/update body for a service on a Swarm, as `docker stack deploy` would send it. */
export function swarmServiceSpec(inputs: SwarmInputs): SwarmServiceSpec {
  const { service } = inputs;
  const update = service.update ?? { parallelism: 1, delayMs: 0, order: "stop-first" as const };
  const rollout = {
    Parallelism: update.parallelism,
    Delay: update.delayMs * 1e6,
    Order: update.order,
    Monitor: MONITOR_NS,
    MaxFailureRatio: 0,
  };
  return {
    Name: swarmServiceName(inputs.project, service.name),
    Labels: {
      ...deployLabels(inputs, swarmConfigHash(service, inputs.registry)),
      [SWARM_LABEL.imageId]: inputs.imageId,
      [SWARM_LABEL.imageTag]: inputs.image,
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: `${inputs.image}@${inputs.digest}`,
        Labels: { [LABEL.project]: inputs.project, [LABEL.service]: service.name },
        Env: Object.entries(revealAll(service.environment)).map(([key, value]) => `${key}=${value}`),
        ...(service.command ? { Args: service.command } : {}),
        ...(service.stopSignal ? { StopSignal: service.stopSignal } : {}),
        ...(service.stopGracePeriodMs === undefined
          ? {}
          : { StopGracePeriod: service.stopGracePeriodMs * 1e6 }),
        ...(service.init ? { Init: true } : {}),
        ...(service.volumes.length > 0 ? { Mounts: service.volumes.map(mountOf) } : {}),
      },
      Resources: {
        Limits: {
          ...(service.memory ? { MemoryBytes: service.memory } : {}),
          ...(service.cpus ? { NanoCPUs: Math.round(service.cpus * 1e9) } : {}),
        },
      },
      RestartPolicy: { Condition: RESTART_CONDITION[service.restart] },
      Placement: { Constraints: service.placement ?? [] },
      Networks: service.networks.map((name) => ({ Target: name, Aliases: [service.name] })),
      ForceUpdate: inputs.forceUpdate ?? 0,
    },
    Mode: { Replicated: { Replicas: service.replicas ?? 1 } },
    // A task that fails within the monitor window makes Swarm put the previous spec back by itself.
    UpdateConfig: { ...rollout, FailureAction: "rollback" },
    RollbackConfig: { ...rollout, FailureAction: "pause" },
    EndpointSpec: {
      Mode: "vip",
      Ports: service.ports.map((port) => ({
        Protocol: port.protocol,
        TargetPort: port.containerPort,
        ...(port.hostPort === 0 ? {} : { PublishedPort: port.hostPort }),
        PublishMode: port.mode ?? "ingress",
      })),
    },
  } as SwarmServiceSpec;
}

/** A volume string (`name:/path[:ro]` or `/host/path:/path[:ro]`) as a Swarm mount. */
export function mountOf(volume: string): MountSettings {
  const [source = "", target = source, mode] = volume.split(":");
  return {
    Type: source.startsWith("/") ? "bind" : "volume",
    Source: source,
    Target: target,
    ReadOnly: mode === "ro",
  };
}
