import { DEFAULTS, type WrittenHealth } from "./schema.js";
import type { HealthSpec, PortMapping } from "./types.js";
import { durationMs } from "./values.js";

type HealthObject = Exclude<WrittenHealth, false>;
type Gate = "http" | "docker" | "running" | "none";

function gateOf(health: WrittenHealth | undefined): Gate {
  if (health === undefined || health === false) return "none";
  if (health.docker) return "docker";
  return health.running !== undefined ? "running" : "http";
}

/**
 * A service's health merged over the defaults' one, key by key, when both are the same kind of gate; a
 * service choosing another kind (or `false`) replaces the default. A service's `url` replaces a default
 * `path` + `port` and the other way round, so `defaults: {health: {path: /health}}` can be overridden.
 */
export function mergeHealth(
  fallback: WrittenHealth | undefined,
  own: WrittenHealth | undefined,
): WrittenHealth | undefined {
  if (own === undefined) return fallback;
  if (own === false || fallback === undefined || fallback === false || gateOf(own) !== gateOf(fallback))
    return own;
  const base: HealthObject = { ...fallback };
  if (own.url !== undefined || own.path !== undefined) {
    delete base.url;
    delete base.path;
    delete base.port;
  }
  return { ...base, ...own };
}

const DOCKER_KEYS = new Set(["docker", "interval", "timeout"]);

const PROBE_KEYS = ["url", "path", "docker", "running"] as const;

/** The resolved gate, or the problem that prevents one (the caller knows the path). */
export function resolveHealth(
  health: WrittenHealth | undefined,
  ports: readonly PortMapping[],
  kind: "service" | "job" = "service",
): HealthSpec | string {
  if (health === undefined || health === false) return { kind: "none" };
  const interval = health.interval ?? durationMs(DEFAULTS.interval);
  const timeout = health.timeout ?? durationMs(DEFAULTS.timeout);
  const keys = Object.keys(health);
  // A job without a probe is gated by its exit code alone: exit 0 within the timeout (SPEC's `{ timeout }`).
  if (kind === "job" && PROBE_KEYS.every((key) => health[key] === undefined)) {
    const extra = keys.filter((key) => key !== "timeout");
    if (extra.length > 0)
      return `a job is gated by its exit code: only timeout applies, not ${extra.join(", ")}`;
    return { kind: "none", timeoutMs: timeout };
  }
  switch (gateOf(health)) {
    case "docker": {
      const extra = keys.filter((key) => !DOCKER_KEYS.has(key));
      if (extra.length > 0) return `docker: true takes only interval and timeout, not ${extra.join(", ")}`;
      return { kind: "docker", intervalMs: interval, timeoutMs: timeout };
    }
    case "running": {
      const extra = keys.filter((key) => key !== "running");
      if (extra.length > 0) return `running takes no other key, not ${extra.join(", ")}`;
      return { kind: "running", durationMs: health.running ?? 0 };
    }
    default:
      return resolveHttp(health, ports, interval, timeout);
  }
}

function resolveHttp(
  health: HealthObject,
  ports: readonly PortMapping[],
  intervalMs: number,
  timeoutMs: number,
): HealthSpec | string {
  const { url, path, port } = health;
  if (url !== undefined && path !== undefined) return "give either url or path, not both";
  if (url === undefined && path === undefined) {
    return "needs url or path (or docker: true, running: <duration>, or false for no gate)";
  }
  if (url !== undefined && port !== undefined)
    return "port goes with path, not with url (put the port in the url)";
  if (path !== undefined && port === undefined && ports.length === 0) {
    return "path needs a port: this service publishes no host port (give health.port, a url, or ports)";
  }
  return {
    kind: "http",
    ...(url === undefined ? {} : { url }),
    ...(path === undefined ? {} : { path }),
    ...(port === undefined ? {} : { port }),
    expectStatus: health.expect_status ?? DEFAULTS.expectStatus,
    intervalMs,
    timeoutMs,
    startPeriodMs: health.start_period ?? durationMs(DEFAULTS.startPeriod),
  };
}
