import { Secret } from "../secret.js";
import { parseEnvFile } from "./envfile.js";
import { mergeHealth, resolveHealth } from "./health.js";
import { fromManifestDir, isGitUrl, isInside, normaliseRelative, resolveVolume } from "./paths.js";
import type { Path, ProblemList } from "./problems.js";
import { DEFAULTS, type WrittenDefaults, type WrittenHost, type WrittenService } from "./schema.js";
import { swarmFields } from "./swarm-normalise.js";
import type { HostSpec, ProxySpec, ServiceSpec } from "./types.js";
import { durationMs } from "./values.js";

/** What normalising needs from outside: where the manifest is, the caller's environment, file reading. */
export interface LoadContext {
  dir: string;
  env: NodeJS.ProcessEnv;
  home: string;
  readFile: (file: string) => string;
  exists: (file: string) => boolean;
  problems: ProblemList;
  /** A written value for a message, or a stand-in when it came from an environment variable. */
  shown: (path: Path, value: string) => string;
}

/** A service as written, and the defaults it inherits from: problems point at whichever gave the value. */
export interface ServiceSource {
  name: string;
  own: WrittenService;
  defaults: WrittenDefaults;
  /** Keys left out because their written value (own or inherited) had a problem. */
  invalid: ReadonlySet<string>;
}

/** Path of a service key: the service's own, or `defaults.<key>` when the value was inherited. */
export function keyPath(source: ServiceSource, key: keyof WrittenService, ...rest: Path): Path {
  const inherited =
    source.own[key] === undefined && source.defaults[key as keyof WrittenDefaults] !== undefined;
  return inherited ? ["defaults", key, ...rest] : ["services", source.name, key, ...rest];
}

/** Defaults under the service: maps (environment, labels, build_args) and health merge key by key, the rest
 * is replaced; a service's own `host` or `hosts` replaces both of the defaults'. */
export function mergeService({ own, defaults }: ServiceSource): WrittenService {
  const base: WrittenDefaults = { ...defaults };
  if (own.host !== undefined || own.hosts !== undefined) {
    delete base.host;
    delete base.hosts;
  }
  const merged: WrittenService = { ...base, ...own };
  if (defaults.environment && own.environment)
    merged.environment = { ...defaults.environment, ...own.environment };
  if (defaults.labels && own.labels) merged.labels = { ...defaults.labels, ...own.labels };
  if (defaults.build_args && own.build_args)
    merged.build_args = { ...defaults.build_args, ...own.build_args };
  const health = mergeHealth(defaults.health, own.health);
  if (health === undefined) delete merged.health;
  else merged.health = health;
  return merged;
}

/** The resolved service. Problems go to ctx.problems; the spec is returned anyway so the rules can still run. */
export function normaliseService(source: ServiceSource, ctx: LoadContext): ServiceSpec {
  const written = mergeService(source);
  const { dir, home } = ctx;
  const ports = written.ports ?? [];
  const envFile = written.env_file === undefined ? undefined : fromManifestDir(dir, written.env_file, home);
  const health = resolveHealth(written.health, ports);
  // With its health or ports left out for a problem, the gate cannot be judged: no follow-on problem.
  const judgeable = !source.invalid.has("health") && !source.invalid.has("ports");
  if (typeof health === "string" && judgeable) {
    const inherited = source.own.health === undefined;
    ctx.problems.add(keyPath(source, "health"), inherited ? `service ${source.name}: ${health}` : health);
  }
  return {
    name: source.name,
    kind: written.kind ?? DEFAULTS.kind,
    repo: isGitUrl(written.repo) ? written.repo : fromManifestDir(dir, written.repo, home),
    branch: written.branch ?? DEFAULTS.branch,
    gitTimeoutMs: written.git_timeout ?? durationMs(DEFAULTS.gitTimeout),
    context: normaliseRelative(written.context ?? DEFAULTS.context),
    dockerfile: normaliseRelative(written.dockerfile ?? DEFAULTS.dockerfile),
    ...(written.target === undefined ? {} : { target: written.target }),
    buildArgs: secrets(written.build_args ?? {}),
    hosts: unique(written.hosts ?? [written.host ?? DEFAULTS.host]),
    ports,
    environment: secrets(environment(source, written, envFile, ctx)),
    ...(envFile === undefined ? {} : { envFile }),
    volumes: (written.volumes ?? []).map((volume) => resolveVolume(volume, dir, home)),
    networks: unique(written.networks ?? []),
    ...(written.command === undefined ? {} : { command: written.command }),
    dependsOn: unique(written.depends_on ?? []),
    restart: written.restart ?? DEFAULTS.restart,
    labels: written.labels ?? {},
    ...(written.memory === undefined ? {} : { memory: written.memory }),
    ...(written.cpus === undefined ? {} : { cpus: written.cpus }),
    health: typeof health === "string" ? { kind: "none" } : health,
    ...(written.proxy ? { proxy: proxySpec(written.proxy) } : {}),
    ...(written.stop_grace_period === undefined ? {} : { stopGracePeriodMs: written.stop_grace_period }),
    ...(written.stop_signal === undefined ? {} : { stopSignal: written.stop_signal }),
    ...(written.init ? { init: true } : {}),
    ...swarmFields(written),
  };
}

function proxySpec(written: true | { host: string; tls?: boolean | "internal"; port?: number }): ProxySpec {
  if (written === true) return { tls: false };
  return {
    host: written.host,
    tls: written.tls ?? false,
    ...(written.port === undefined ? {} : { port: written.port }),
  };
}

/** env_file under `environment`; a key written without a value is taken from the caller's environment. */
function environment(
  source: ServiceSource,
  written: WrittenService,
  envFile: string | undefined,
  ctx: LoadContext,
): Record<string, string> {
  // An env_file outside the manifest's folder is not read at all; the envFileInside rule reports it.
  const values = envFile !== undefined && isInside(ctx.dir, envFile) ? readEnvFile(source, envFile, ctx) : {};
  for (const [key, value] of Object.entries(written.environment ?? {})) {
    const fromCaller = value ?? ctx.env[key];
    if (fromCaller !== undefined) {
      values[key] = fromCaller;
      continue;
    }
    const path =
      key in (source.own.environment ?? {})
        ? ["services", source.name, "environment", key]
        : ["defaults", "environment", key];
    ctx.problems.add(
      path,
      `environment variable ${key} is not set (a key without a value comes from the environment)`,
    );
  }
  return values;
}

function readEnvFile(source: ServiceSource, file: string, ctx: LoadContext): Record<string, string> {
  const path = keyPath(source, "env_file");
  let text: string;
  try {
    text = ctx.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "not found" : code === "EISDIR" ? "is a folder" : "cannot be read";
    ctx.problems.add(path, `env_file ${ctx.shown(path, file)} ${reason}`);
    return {};
  }
  const parsed = parseEnvFile(text);
  for (const error of parsed.errors) ctx.problems.add(path, `env_file ${ctx.shown(path, file)} ${error}`);
  return parsed.values;
}

export function normaliseHost(name: string, written: WrittenHost, ctx: LoadContext): HostSpec {
  const host = written ?? {};
  const file = (value: string | undefined) =>
    value === undefined ? undefined : fromManifestDir(ctx.dir, value, ctx.home);
  const identityFile = file(host.identity_file);
  const knownHosts = file(host.known_hosts);
  return {
    name,
    ...(host.ssh === undefined ? {} : { ssh: host.ssh }),
    ...(identityFile === undefined ? {} : { identityFile }),
    ...(knownHosts === undefined ? {} : { knownHosts }),
    hostKeyPolicy: host.host_key_policy ?? DEFAULTS.hostKeyPolicy,
    // A path on that host, not on this one: left as written.
    ...(host.docker_socket === undefined ? {} : { dockerSocket: host.docker_socket }),
    ...(host.max_builds === undefined ? {} : { maxBuilds: host.max_builds }),
    ...(host.builder === undefined ? {} : { builder: host.builder }),
    ...(host.proxy_image === undefined ? {} : { proxyImage: host.proxy_image }),
    ...(host.swarm ? { swarm: true } : {}),
  };
}

function secrets(values: Record<string, string>): Record<string, Secret> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, new Secret(value)]));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
