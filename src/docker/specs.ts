import { createHash } from "node:crypto";
import type Dockerode from "dockerode";
import type { RefKind } from "../git/refs.js";
import { healthUrl } from "../health/url.js";
import { containerName, LABEL, proxyNetwork, upstreamAlias } from "../labels.js";
import type { Builder, HostSpec, PortMapping, ServiceSpec } from "../manifest/types.js";
import { revealAll } from "../secret.js";

/** What identifies one container the tool runs: the service, where, from which image and commit. */
export interface ContainerInputs {
  project: string;
  service: ServiceSpec;
  host: string;
  image: string;
  commit: string;
  /** The ref asked for, and what it turned out to be (null: unknown, a release recorded by an older version). */
  branch: string;
  refKind: RefKind | null;
  runId: string;
  /** Hash of the image's build inputs; with the config hash it decides whether the container is unchanged. */
  buildHash: string;
}

/** What identifies one image build: equal hashes mean the existing image can be reused. */
export interface BuildInputs extends ContainerInputs {
  contextTree: string;
}

/**
 * Hash of everything that shapes the running container (like Compose's config-hash): when it and the commit
 * and the build hash match the running container's labels, nothing needs to change. The image is not part of
 * it: two commits with an identical build context give the same build hash. Secret values enter only hashed.
 */
export function configHash(service: ServiceSpec): string {
  return sha256({
    ports: service.ports,
    environment: revealAll(service.environment),
    volumes: service.volumes,
    networks: service.networks,
    command: service.command ?? null,
    restart: service.restart,
    labels: service.labels,
    memory: service.memory ?? null,
    cpus: service.cpus ?? null,
    health: service.health,
    kind: service.kind,
    // Only when set: a manifest that does not use them keeps the hash its containers were labelled with.
    ...(service.proxy ? { proxy: service.proxy } : {}),
    ...(service.stopGracePeriodMs === undefined ? {} : { stopGracePeriodMs: service.stopGracePeriodMs }),
    ...(service.stopSignal ? { stopSignal: service.stopSignal } : {}),
    ...(service.init ? { init: true } : {}),
    ...(service.replicas === undefined ? {} : { replicas: service.replicas }),
    ...(service.placement ? { placement: service.placement } : {}),
    ...(service.update ? { update: service.update } : {}),
  });
}

/** Hash of the build inputs: context tree, Dockerfile path, target and build-arg values. */
export function buildHash(inputs: Pick<BuildInputs, "service" | "contextTree">): string {
  const { service } = inputs;
  return sha256({
    contextTree: inputs.contextTree,
    dockerfile: service.dockerfile,
    target: service.target ?? null,
    buildArgs: revealAll(service.buildArgs),
  });
}

/**
 * What one live container asks of the proxy. It is recorded on the container as a label, so the proxy's whole
 * configuration is a pure function of what runs: a restarted or recreated proxy is rebuilt from labels.
 */
export interface ProxyRoutes {
  /** The proxy listens on `hostIp:hostPort` of the host and forwards to the container's `containerPort`. */
  ports: Array<{ hostIp?: string; hostPort: number; containerPort: number }>;
  host?: { name: string; tls: boolean | "internal"; port: number };
}

/** The routes a service behind the proxy asks for: its published TCP ports, and its host name if any. */
export function routesOf(service: ServiceSpec): ProxyRoutes {
  const ports = service.ports
    .filter((port) => port.protocol === "tcp")
    .map((port) => ({
      ...(port.hostIp ? { hostIp: port.hostIp } : {}),
      hostPort: port.hostPort,
      containerPort: port.containerPort,
    }));
  const proxy = service.proxy;
  const target = proxy?.port ?? ports[0]?.containerPort;
  return {
    ports,
    ...(proxy?.host && target !== undefined
      ? { host: { name: proxy.host, tls: proxy.tls, port: target } }
      : {}),
  };
}

/** Name of the Dockerfile the tool adds to the build context: the service's own, plus one LABEL line. */
export const GENERATED_DOCKERFILE = ".deploy-orchestrator.Dockerfile";

export function imageLabels(inputs: BuildInputs): Record<string, string> {
  return {
    [LABEL.project]: inputs.project,
    [LABEL.service]: inputs.service.name,
    [LABEL.commit]: inputs.commit,
    [LABEL.branch]: inputs.branch,
    [LABEL.runId]: inputs.runId,
    [LABEL.buildHash]: buildHash(inputs),
  };
}

/**
 * The engine's builder for a host: its `builder` setting, else the classic one when `DOCKER_BUILDKIT=0` (as the
 * docker CLI and Compose read it), else BuildKit. BuildKit runs independent steps in parallel and sets labels
 * and other metadata without a container; measured here, six builds at once took 0.6× the classic builder's time.
 */
export function hostBuilder(host: HostSpec, env: NodeJS.ProcessEnv = process.env): Builder {
  if (host.builder) return host.builder;
  return env.DOCKER_BUILDKIT === "0" || env.DOCKER_BUILDKIT === "false" ? "classic" : "buildkit";
}

/**
 * Whether the image labels go into a generated Dockerfile (see labelledDockerfile) rather than the `labels`
 * build option. BuildKit sets them as metadata either way. The classic builder turns the option into one LABEL
 * step per label, each a container commit (about 0.3 s apiece). A generated Dockerfile does that in one step.
 * This only works without a `target`: with one, the last stage of the file need not be the one built.
 */
export function labelsInDockerfile(builder: Builder, service: ServiceSpec): boolean {
  return builder === "classic" && !service.target;
}

/** The service's Dockerfile with one LABEL line appended that carries every label. */
export function labelledDockerfile(original: string, labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(
    ([key, value]) => `${JSON.stringify(key)}=${JSON.stringify(value)}`,
  );
  return `${original.replace(/\s*$/, "")}\nLABEL ${pairs.join(" ")}\n`;
}

export function buildOptions(
  inputs: BuildInputs,
  options: { noCache: boolean; builder: Builder },
): Dockerode.ImageBuildOptions {
  const { service } = inputs;
  const generated = labelsInDockerfile(options.builder, service);
  return {
    t: inputs.image,
    dockerfile: generated ? GENERATED_DOCKERFILE : service.dockerfile,
    ...(service.target ? { target: service.target } : {}),
    buildargs: revealAll(service.buildArgs),
    ...(generated ? {} : { labels: imageLabels(inputs) }),
    nocache: options.noCache,
    // The classic builder keeps intermediate containers unless told otherwise, even after a failed step.
    ...(options.builder === "buildkit" ? { version: "2" } : { version: "1", rm: true, forcerm: true }),
  };
}

/** The networks a service's container joins, each with its aliases: its own, then the proxy's when behind it. */
export function containerNetworks(inputs: ContainerInputs): Array<{ name: string; aliases: string[] }> {
  const { service } = inputs;
  const own = service.networks.map((name) => ({ name, aliases: [service.name] }));
  if (!service.proxy) return own;
  const alias = upstreamAlias(service.name, inputs.runId);
  return [...own, { name: proxyNetwork(inputs.project), aliases: [alias] }];
}

/**
 * What every deployed container or Swarm service carries: the manifest's labels, then the tool's — what runs, from
 * where, with which configuration (`config`: its hash) and which health gate, so the next run can judge it.
 */
export function deployLabels(inputs: ContainerInputs, config: string): Record<string, string> {
  const { service } = inputs;
  return {
    ...service.labels,
    [LABEL.project]: inputs.project,
    [LABEL.service]: service.name,
    [LABEL.host]: inputs.host,
    [LABEL.commit]: inputs.commit,
    [LABEL.branch]: inputs.branch,
    [LABEL.runId]: inputs.runId,
    [LABEL.configHash]: config,
    [LABEL.buildHash]: inputs.buildHash,
    [LABEL.healthGate]: service.health.kind,
    ...(service.health.kind === "http" ? { [LABEL.healthUrl]: healthUrl(service, service.health) } : {}),
  };
}

/** The engine's create request for a service's container (its first network attached here, the rest after). */
export function containerCreateOptions(
  inputs: ContainerInputs,
  name?: string,
): Dockerode.ContainerCreateOptions {
  const { service } = inputs;
  const [firstNetwork] = containerNetworks(inputs);
  const proxied = service.proxy !== undefined;
  return {
    name: name ?? containerName(inputs.project, service.name),
    Image: inputs.image,
    Env: Object.entries(revealAll(service.environment)).map(([key, value]) => `${key}=${value}`),
    ...(service.command ? { Cmd: service.command } : {}),
    ...(service.stopSignal ? { StopSignal: service.stopSignal } : {}),
    ...(service.stopGracePeriodMs === undefined
      ? {}
      : { StopTimeout: Math.ceil(service.stopGracePeriodMs / 1000) }),
    Labels: {
      ...deployLabels(inputs, configHash(service)),
      ...(proxied
        ? {
            [LABEL.proxyUpstream]: upstreamAlias(service.name, inputs.runId),
            [LABEL.proxyRoutes]: JSON.stringify(routesOf(service)),
          }
        : {}),
    },
    ExposedPorts: Object.fromEntries(service.ports.map((port) => [portKey(port), {}])),
    HostConfig: {
      // Behind the proxy the container publishes nothing: the proxy owns the host ports.
      PortBindings: proxied ? {} : portBindings(service.ports),
      ...(service.init ? { Init: true } : {}),
      Binds: service.volumes,
      RestartPolicy: { Name: service.kind === "job" ? "no" : service.restart },
      ...(service.memory ? { Memory: service.memory } : {}),
      ...(service.cpus ? { NanoCpus: Math.round(service.cpus * 1e9) } : {}),
      ...(firstNetwork ? { NetworkMode: firstNetwork.name } : {}),
    },
    ...(firstNetwork
      ? { NetworkingConfig: { EndpointsConfig: { [firstNetwork.name]: { Aliases: firstNetwork.aliases } } } }
      : {}),
  };
}

function portKey(port: PortMapping): string {
  return `${port.containerPort}/${port.protocol}`;
}

function portBindings(ports: PortMapping[]): Record<string, Array<{ HostIp?: string; HostPort: string }>> {
  const bindings: Record<string, Array<{ HostIp?: string; HostPort: string }>> = {};
  for (const port of ports) {
    const key = portKey(port);
    bindings[key] ??= [];
    bindings[key].push({ ...(port.hostIp ? { HostIp: port.hostIp } : {}), HostPort: String(port.hostPort) });
  }
  return bindings;
}

function sha256(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}
