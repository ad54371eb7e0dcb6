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
