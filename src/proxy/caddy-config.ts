import type { ProxyRoutes } from "../docker/specs.js";

export interface Upstream {
  service: string;
  /** The container's alias on the proxy network: unique per deploy, so old and new never share a name. */
  alias: string;
  routes: ProxyRoutes;
}

/** Where the proxy listens inside its container: a published port keeps its number. */
export interface ProxyListener {
  hostIp?: string;
  port: number;
}

const ADMIN = "localhost:2019";

/** The host ports the proxy container publishes (each to the same port inside it), in a stable order. */
export function proxyListeners(upstreams: readonly Upstream[]): ProxyListener[] {
  const listeners = new Map<number, ProxyListener>();
  for (const { routes } of upstreams) {
    for (const port of routes.ports) {
      listeners.set(port.hostPort, { ...(port.hostIp ? { hostIp: port.hostIp } : {}), port: port.hostPort });
    }
    if (routes.host) {
      listeners.set(80, { port: 80 });
      if (routes.host.tls) listeners.set(443, { port: 443 });
    }
  }
  return [...listeners.values()].sort((a, b) => a.port - b.port);
}

/**
 * Caddy's JSON configuration for these upstreams. The admin API listens on the container's own loopback only,
 * never on a published port.
 */
export function caddyConfig(upstreams: readonly Upstream[]): object {
  const sorted = [...upstreams].sort((a, b) => a.service.localeCompare(b.service));
  const servers: Record<string, object> = {};
  const proxyTo = (alias: string, port: number) => [
    { handler: "reverse_proxy", upstreams: [{ dial: `${alias}:${port}` }] },
  ];
  for (const { alias, routes } of sorted) {
    for (const port of routes.ports) {
      servers[`port-${port.hostPort}`] = {
        listen: [`:${port.hostPort}`],
        routes: [{ handle: proxyTo(alias, port.containerPort) }],
        automatic_https: { disable: true },
      };
    }
  }
  const named = sorted.flatMap(({ alias, routes }) => (routes.host ? [{ alias, host: routes.host }] : []));
  if (named.length > 0) {
    const secure = named.filter(({ host }) => host.tls);
    servers.hosts = {
      listen: secure.length > 0 ? [":80", ":443"] : [":80"],
      routes: named.map(({ alias, host }) => ({
        match: [{ host: [host.name] }],
        handle: proxyTo(alias, host.port),
        terminal: true,
      })),
      automatic_https:
        secure.length > 0
          ? { skip: named.filter(({ host }) => !host.tls).map(({ host }) => host.name) }
          : { disable: true },
    };
  }
  const internal = named.filter(({ host }) => host.tls === "internal").map(({ host }) => host.name);
  return {
    admin: { listen: ADMIN },
    apps: {
      // In-flight requests of a replaced configuration get this long to finish.
      http: { grace_period: "30s", servers },
      ...(internal.length > 0
        ? {
            tls: { automation: { policies: [{ subjects: internal, issuers: [{ module: "internal" }] }] } },
            pki: { certificate_authorities: { local: { install_trust: false } } },
          }
        : {}),
    },
  };
}
