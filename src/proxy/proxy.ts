import type { ContainerCreateOptions, Engine } from "../docker/engine.js";
import { containerName, LABEL, proxyName, proxyNetwork } from "../labels.js";
import { DEFAULTS } from "../manifest/fields.js";
import type { HostSpec } from "../manifest/types.js";
import { caddyConfig, type ProxyListener, proxyListeners, type Upstream } from "./caddy-config.js";

/** Where the tool writes Caddy's configuration inside the proxy container (kept there across restarts). */
const CONFIG_FILE = "/etc/deploy-proxy/caddy.json";
/** Caddy's admin API takes a moment to listen after the container starts. */
const ADMIN_READY_ATTEMPTS = 50;
const ADMIN_RETRY_MS = 100;

/** The proxy container's create request: Caddy on the proxy network, publishing exactly `listeners`. */
export function proxyContainerOptions(
  project: string,
  image: string,
  listeners: readonly ProxyListener[],
): ContainerCreateOptions {
  const key = (listener: ProxyListener) => `${listener.port}/tcp`;
  const volume = (name: string, target: string) => ({
    Type: "volume" as const,
    Source: `${proxyName(project)}-${name}`,
    Target: target,
    VolumeOptions: {
      NoCopy: false,
      Labels: { [LABEL.project]: project },
      DriverConfig: { Name: "local", Options: {} },
    },
  });
  return {
    name: proxyName(project),
    Image: image,
    Cmd: ["caddy", "run", "--config", CONFIG_FILE],
    Env: ["XDG_CONFIG_HOME=/config", "XDG_DATA_HOME=/data"],
    Labels: { [LABEL.project]: project, [LABEL.proxyListeners]: listenersKey(listeners) },
    ExposedPorts: Object.fromEntries(listeners.map((listener) => [key(listener), {}])),
    HostConfig: {
      NetworkMode: proxyNetwork(project),
      RestartPolicy: { Name: "unless-stopped" },
      PortBindings: Object.fromEntries(
        listeners.map((listener) => [
          key(listener),
          [{ ...(listener.hostIp ? { HostIp: listener.hostIp } : {}), HostPort: String(listener.port) }],
        ]),
      ),
      // Certificates (data) and Caddy's own state (config) outlive a recreated proxy.
      Mounts: [volume("data", "/data"), volume("config", "/config")],
    },
  };
}

export function listenersKey(listeners: readonly ProxyListener[]): string {
  return listeners.map((listener) => `${listener.hostIp ?? "*"}:${listener.port}`).join(",");
}

/** What a container behind the proxy asks of it (from its labels); null for one publishing its own ports. */
export function upstreamOf(labels: Record<string, string>): Upstream | null {
  const service = labels[LABEL.service];
  const alias = labels[LABEL.proxyUpstream];
  const routes = labels[LABEL.proxyRoutes];
  if (!service || !alias || !routes) return null;
  return { service, alias, routes: JSON.parse(routes) as Upstream["routes"] };
}

/** The upstreams the live containers of the project ask for (the containers under their service's name). */
export async function liveUpstreams(engine: Engine, project: string): Promise<Upstream[]> {
  const containers = await engine.projectContainersWith(project, LABEL.proxyUpstream);
  return containers.flatMap((container) => {
    const upstream = upstreamOf(container.labels);
    return upstream && container.name === containerName(project, upstream.service) ? [upstream] : [];
  });
}

/**
 * One configuration change at a time per host and project: concurrent deploys of two services must not
 * interleave (each derives the whole configuration from what is live, so interleaved changes would undo one
 * another). Keyed by name, not by the engine object, so that no second client of one host can slip past.
 */
const queues = new Map<string, Promise<unknown>>();

function serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  queues.set(key, next);
  return next;
}

export interface ProxyChange {
  /** The service whose route changes. */
  service: string;
  /** Its new upstream; null takes the service off the proxy. */
  upstream: Upstream | null;
  /**
   * Run right after the switch, before any other change may read what is live: renames that make the new
   * container the service's live one, so the next change derives the same routes.
   */
  afterSwitch?: () => Promise<void>;
}

/**
 * Points the host's proxy at what runs, with `change` applied: the configuration is derived from the live
 * containers' labels each time, so it never drifts. Creates the proxy when missing, recreates it when the
 * ports it must publish changed (the one moment its other routes pause), else reloads Caddy in place
 * (graceful: its listeners stay open and in-flight requests finish). Returns what it did, for the log.
 */
export function applyProxyChange(
  engine: Engine,
  project: string,
  host: HostSpec,
  change: ProxyChange,
): Promise<string> {
  return serialised(`${host.name}\0${project}`, async () => {
    const others = (await liveUpstreams(engine, project)).filter((up) => up.service !== change.service);
    const upstreams = change.upstream ? [...others, change.upstream] : others;
    const done = await configure(engine, project, host.proxyImage ?? DEFAULTS.proxyImage, upstreams);
    await change.afterSwitch?.();
    return done;
  });
}

async function configure(engine: Engine, project: string, image: string, upstreams: Upstream[]) {
  const config = `${JSON.stringify(caddyConfig(upstreams), null, 2)}\n`;
  const listeners = proxyListeners(upstreams);
  const name = proxyName(project);
  const existing = await engine.inspectContainer(name);
  const fits =
    existing?.running &&
    existing.labels[LABEL.proxyListeners] === listenersKey(listeners) &&
    existing.image === image;
  if (existing && fits) {
    await engine.putFile(existing.id, CONFIG_FILE, config);
    await reload(engine, existing.id);
    return `proxy ${name} reloaded`;
  }
  if (existing) await engine.remove(existing.id);
  await engine.ensureNetwork(proxyNetwork(project), project);
  const id = await engine.createContainer(proxyContainerOptions(project, image, listeners));
  await engine.putFile(id, CONFIG_FILE, config);
  await engine.start(id);
  await reload(engine, id); // also waits until the admin API answers, that is, until Caddy serves
  return `proxy ${name} ${existing ? "recreated" : "created"} (listening on ${listenersKey(listeners) || "nothing"})`;
}

/** `caddy reload` inside the proxy: a POST of the file to the admin API on the container's own loopback. */
async function reload(engine: Engine, id: string): Promise<void> {
  let last = "";
  for (let attempt = 0; attempt < ADMIN_READY_ATTEMPTS; attempt++) {
    const result = await engine.exec(id, ["caddy", "reload", "--config", CONFIG_FILE, "--force"]);
    if (result.exitCode === 0) return;
    last = result.output;
    // Only "not listening yet" is worth waiting for; a configuration Caddy refuses is an error now.
    if (!/connection refused|connect: no such file/i.test(last)) break;
    await new Promise((resolve) => setTimeout(resolve, ADMIN_RETRY_MS));
  }
  throw new Error(`the proxy refused its new configuration: ${last.split("\n").slice(-3).join(" ")}`);
}

export interface ProxyState {
  name: string;
  running: boolean;
  image: string;
  up_since: string | null;
  /** What it serves, derived like its configuration: "127.0.0.1:3000 → web:8080". */
  routes: string[];
}

/** The host's proxy for `deploy status`, or null when the project runs none there. */
export async function proxyState(engine: Engine, project: string): Promise<ProxyState | null> {
  const [container, upstreams] = await Promise.all([
    engine.inspectContainer(proxyName(project)),
    liveUpstreams(engine, project),
  ]);
  if (!container) return null;
  return {
    name: container.name,
    running: container.running,
    image: container.image,
    up_since: container.running ? container.startedAt : null,
    routes: upstreams.flatMap(({ service, routes }) => [
      ...routes.ports.map(
        (port) => `${port.hostIp ?? "*"}:${port.hostPort} → ${service}:${port.containerPort}`,
      ),
      ...(routes.host
        ? [`${routes.host.tls ? "https" : "http"}://${routes.host.name} → ${service}:${routes.host.port}`]
        : []),
    ]),
  };
}
