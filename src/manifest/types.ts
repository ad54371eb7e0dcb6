import type { Secret } from "../secret.js";

/** The resolved manifest: defaults merged, paths absolute, durations in ms, `${VAR}`s substituted. */
export interface Manifest {
  /** Absolute path of the manifest file. */
  file: string;
  /** Folder of the manifest; relative paths in it resolve from here. */
  dir: string;
  /** Prefix of container and image names and labels: lowercase, [a-z0-9][a-z0-9_.-]*. */
  project: string;
  hosts: Record<string, HostSpec>;
  /** How many images per service to keep on each host (older ones are pruned); `keep_images`, default 3. */
  keepImages: number;
  /** Run summaries kept under logs/runs/; `keep_runs`, default 50. */
  keepRuns: number;
  /** Bytes past which a service log file is rotated; `log_max_size`, default 10 MiB. */
  logMaxSize: number;
  /** Absolute path of the Prometheus textfile to write after each run. */
  metricsFile?: string;
  notify?: { webhook: string; on: Array<"failure" | "success">; timeoutMs: number };
  /** Where images of services on Swarm hosts are pushed (SPEC §11). */
  registry?: RegistrySpec;
  /** In manifest order. */
  services: Record<string, ServiceSpec>;
}

export interface HostSpec {
  name: string;
  /** Absent for the local engine (DOCKER_HOST or /var/run/docker.sock). */
  ssh?: { user: string; host: string; port: number };
  identityFile?: string;
  knownHosts?: string;
  hostKeyPolicy: "strict" | "accept-new";
  /** The engine's socket on that host; for `local` without it, DOCKER_HOST or /var/run/docker.sock. */
  dockerSocket?: string;
  /** Concurrent image builds on this host; absent = the scheduler's default. */
  maxBuilds?: number;
  /** The engine's image builder; absent = BuildKit unless DOCKER_BUILDKIT=0 (see hostBuilder). */
  builder?: Builder;
  /** The reverse proxy's image, for `proxy` services (`proxy_image`); absent = caddy:2. */
  proxyImage?: string;
  /** A Swarm manager: its services deploy as Swarm services. */
  swarm?: boolean;
}

export interface RegistrySpec {
  /** host[:port][/path], no scheme. */
  url: string;
  username?: string;
  password?: Secret;
}

/** How a Swarm service rolls out a new version. */
export interface UpdateSpec {
  parallelism: number;
  delayMs: number;
  order: "start-first" | "stop-first";
}

export type Builder = "buildkit" | "classic";

export interface PortMapping {
  /** Host address to bind; absent = all addresses. */
  hostIp?: string;
  /** 0: none fixed (Swarm host mode: the engine picks one per task). */
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
  /** Swarm publish mode; absent = ingress (the routing mesh). */
  mode?: "ingress" | "host";
}

export type ExpectStatus = number | "2xx" | "3xx";

export type HealthSpec =
  | {
      kind: "http";
      /** Exactly one of url, or path (+ port: a published host port; absent = the service's first published port). */
      url?: string;
      path?: string;
      port?: number;
      expectStatus: ExpectStatus;
      intervalMs: number;
      timeoutMs: number;
      startPeriodMs: number;
    }
  /** Wait for the image's own HEALTHCHECK to report healthy. */
  | { kind: "docker"; intervalMs: number; timeoutMs: number }
  /** Still running after `durationMs` (workers without an HTTP endpoint). */
  | { kind: "running"; durationMs: number }
  /**
   * `health: false`: no gate; the container must merely still run after a short window. Reported loudly.
   * For a job, whose gate is its exit code: `timeoutMs` is how long it may run (`health: { timeout }` alone).
   */
  | { kind: "none"; timeoutMs?: number };

/** An image service's image: pulled (per its policy), never built. */
export interface ImageSpec {
  /** As written, e.g. `postgres:16`, `ghcr.io/acme/api:1.2`, `redis@sha256:…`. */
  reference: string;
  /** `missing`: pull only when the host lacks it; `always`: pull at every deploy. */
  pullPolicy: "missing" | "always";
}

export interface ServiceSpec {
  name: string;
  kind: "service" | "job";
  /** A git URL, or an absolute path for a local repository (resolved from the manifest's folder). Exactly one
   * of repo and image is set; with image, the build keys below keep their defaults and mean nothing. */
  repo?: string;
  image?: ImageSpec;
  branch: string;
  /** How long one git step (ls-remote, fetch) may take; `git_timeout`, default 2 minutes. */
  gitTimeoutMs: number;
  /** Folder inside the repo, posix, normalised, never escaping it ("." for the root). */
  context: string;
  /** Relative to context, posix. */
  dockerfile: string;
  target?: string;
  buildArgs: Record<string, Secret>;
  /** Names of the hosts it runs on (one or more), each a key of Manifest.hosts. */
  hosts: string[];
  ports: PortMapping[];
  /** The env_files (absolute paths, read at load time, later ones winning) under `environment`. */
  environment: Record<string, Secret>;
  envFiles: string[];
  /** Docker bind/volume strings with relative host paths made absolute. */
  volumes: string[];
  networks: string[];
  command?: string[];
  dependsOn: string[];
  /** Those of dependsOn written with `condition: service_started`: their container's start is enough. */
  dependsOnStarted: string[];
  restart: "no" | "always" | "unless-stopped" | "on-failure";
  labels: Record<string, string>;
  /** Bytes. */
  memory?: number;
  cpus?: number;
  health: HealthSpec;
  /** Served through the host's reverse proxy (zero-downtime cutover); absent = its own published ports. */
  proxy?: ProxySpec;
  /** Time between the stop signal and SIGKILL; absent = the engine's 10 s. */
  stopGracePeriodMs?: number;
  stopSignal?: string;
  /** An init as PID 1 (Docker's --init). */
  init?: boolean;
  /** Swarm only: tasks to run (absent = 1). */
  replicas?: number;
  /** Swarm only: placement constraints. */
  placement?: string[];
  /** Swarm only: the rollout settings. */
  update?: UpdateSpec;
}

export interface ProxySpec {
  /** Routed by this host name on the proxy's :80 (and :443 with tls). */
  host?: string;
  tls: boolean | "internal";
  /** The container port host-name traffic goes to. */
  port?: number;
}

/** One problem found in a manifest, with where it is. */
export interface ManifestProblem {
  /** Dotted path, e.g. `services.auth-service.health.timeout`; "" for the whole document. */
  path: string;
  /** 1-based line in the manifest file, when known. */
  line?: number;
  message: string;
}

export type ManifestResult = { ok: true; manifest: Manifest } | { ok: false; problems: ManifestProblem[] };

/** Service names the CLI reserves for its own commands. */
export const RESERVED_SERVICE_NAMES = [
  "all",
  "plan",
  "status",
  "logs",
  "rollback",
  "releases",
  "validate",
  "unlock",
] as const;
