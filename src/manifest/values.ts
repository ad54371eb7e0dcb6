import type { PortMapping } from "./types.js";

/**
 * Parsers for the small written formats of the manifest (durations, memory sizes, ports, ssh targets).
 * Each returns the parsed value or a message; the schema turns a message into a problem at the value's path.
 * Messages never repeat the written value: it may have come from an environment variable.
 */

/** Anchored so the JSON Schema can show it as a `pattern`: "500ms", "1.5s", "1m30s", "1h". */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const MS_PER_UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * The longest duration a manifest or option may give: longer is surely a typo, and past 2^31-1 ms (24.8 days)
 * Node's timers fire at once, which would make every wait end after 1 ms.
 */
export const MAX_DURATION = "24h";
export const MAX_DURATION_MS = 24 * 3_600_000;

/** A duration string already matching DURATION_PATTERN, or a number of seconds, in whole milliseconds. */
export function durationMs(value: string | number): number {
  if (typeof value === "number") return Math.round(value * 1_000);
  let total = 0;
  for (const [, amount, unit] of value.matchAll(DURATION_PART)) {
    total += Number(amount) * (MS_PER_UNIT[unit ?? "s"] ?? 1_000);
  }
  return Math.round(total);
}

/** Docker's units, binary multiples: "512m", "1g", "100k", "1024b", "1.5g", "512mb". */
export const MEMORY_PATTERN = /^(\d+(?:\.\d+)?)([bB]|[kKmMgGtT][bB]?)?$/; // no /i: JSON Schema patterns have no flags
const BYTES_PER_UNIT: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A memory string already matching MEMORY_PATTERN, or a number of bytes, in whole bytes. */
export function memoryBytes(value: string | number): number {
  if (typeof value === "number") return Math.floor(value);
  const match = MEMORY_PATTERN.exec(value);
  const unit = (match?.[2] ?? "b").toLowerCase().charAt(0);
  return Math.floor(Number(match?.[1]) * (BYTES_PER_UNIT[unit] ?? 1));
}

const PORT_MAPPING =
  /^(?:(?<ip>\[[0-9a-fA-F:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):)?(?<host>\d+):(?<container>\d+)(?:\/(?<proto>tcp|udp))?$/;
const CONTAINER_ONLY = /^\d+(?:\/(?:tcp|udp))?$/;

function validPort(text: string): number | undefined {
  const port = Number(text);
  return Number.isInteger(port) && port >= 1 && port <= 65_535 ? port : undefined;
}

/** `[ip:]hostPort:containerPort[/tcp|udp]`. A container-only port is refused: the health gate and the
 * duplicate-port rule both need to know the host port. */
export function parsePort(text: string): PortMapping | string {
  const match = PORT_MAPPING.exec(text.trim());
  if (!match?.groups) {
    if (CONTAINER_ONLY.test(text.trim())) {
      return 'gives only the container port: give the host port too, e.g. "3000:3000" or "127.0.0.1:3000:3000"';
    }
    if (text.includes("-")) return "port ranges are not supported: publish each port on its own";
    return 'expected "[ip:]host_port:container_port[/tcp|udp]", e.g. "127.0.0.1:3000:3000" or "8080:80/udp"';
  }
  const { ip, host, container, proto } = match.groups;
  const hostPort = validPort(host ?? "");
  const containerPort = validPort(container ?? "");
  if (hostPort === undefined || containerPort === undefined) return "ports must be between 1 and 65535";
  const mapping: PortMapping = { hostPort, containerPort, protocol: proto === "udp" ? "udp" : "tcp" };
  if (ip) mapping.hostIp = ip.startsWith("[") ? ip.slice(1, -1) : ip;
  return mapping;
}

const SSH_TARGET = /^(?<user>[^@\s:[\]]+)@(?<host>\[[0-9a-fA-F:.]+\]|[^@\s:[\]]+)(?::(?<port>\d+))?$/;

/** `user@host[:port]`, port 22 by default; an IPv6 host goes in brackets. */
export function parseSshTarget(text: string): { user: string; host: string; port: number } | string {
  const match = SSH_TARGET.exec(text.trim());
  if (!match?.groups) return 'expected "user@host" or "user@host:port", e.g. "deploy@203.0.113.10:22"';
  const { user = "", host = "", port } = match.groups;
  const portNumber = port === undefined ? 22 : validPort(port);
  if (portNumber === undefined) return "the ssh port must be between 1 and 65535";
  return { user, host: host.startsWith("[") ? host.slice(1, -1) : host, port: portNumber };
}
