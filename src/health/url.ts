import type { HealthSpec, ServiceSpec } from "../manifest/types.js";

/** The URL a service's HTTP health gate probes, as seen from the target host. */
export function healthUrl(service: ServiceSpec, health: Extract<HealthSpec, { kind: "http" }>): string {
  if (health.url) return health.url;
  const published = health.port
    ? service.ports.find((port) => port.hostPort === health.port)
    : service.ports.find((port) => port.protocol === "tcp");
  const port = health.port ?? published?.hostPort;
  const address = published?.hostIp && published.hostIp !== "0.0.0.0" ? published.hostIp : "127.0.0.1";
  return `http://${address.includes(":") ? `[${address}]` : address}:${port}${health.path ?? "/"}`;
}

/**
 * The same probe sent straight to one container at `address` (its address on the proxy's network): behind the
 * proxy a new container publishes nothing, and the published port still reaches the old one. A URL on a port the
 * service does not publish is probed as written.
 */
export function directHealthUrl(
  service: ServiceSpec,
  health: Extract<HealthSpec, { kind: "http" }>,
  address: string,
): string {
  const url = new URL(healthUrl(service, health));
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const published = service.ports.find((mapping) => mapping.hostPort === port);
  if (!published) return url.toString();
  url.hostname = address;
  url.port = String(published.containerPort);
  return url.toString();
}
