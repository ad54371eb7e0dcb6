import { Secret } from "../secret.js";
import {
  BUILD_ALIASES,
  dependencyEntries,
  type EnvFileEntry,
  envFileEntries,
  flattenBuild,
} from "./compose-forms.js";
import { parseEnvFile } from "./envfile.js";
import { mergeHealth, resolveHealth } from "./health.js";
import { fromManifestDir, isGitUrl, isInside, normaliseRelative, resolveVolume } from "./paths.js";
import type { Path, PathSegment, ProblemList } from "./problems.js";
import {
  DEFAULTS,
  type WrittenDefaults,
  type WrittenHealth,
  type WrittenHost,
  type WrittenService,
} from "./schema.js";
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

/**
 * Path of a service key: the service's own, or `defaults.<key>` when the value was inherited; a build key
 * written under Compose's `build:` has its path there (`build.args` for build_args).
 */
export function keyPath(source: ServiceSource, key: keyof WrittenService, ...rest: Path): Path {
  const at = (owner: Path, written: WrittenDefaults): Path | undefined => {
    if (written[key as keyof WrittenDefaults] !== undefined) return [...owner, key, ...rest];
    const alias = BUILD_ALIASES[key as keyof typeof BUILD_ALIASES];
    const build = written.build as Record<string, unknown> | undefined;
    return alias && build?.[alias] !== undefined ? [...owner, "build", alias, ...rest] : undefined;
  };
  return (
    at(["services", source.name], source.own) ??
    at(["defaults"], source.defaults) ?? ["services", source.name, key, ...rest]
  );
}

/** Defaults under the service: maps (environment, labels, build_args) and health merge key by key, the rest
 * is replaced; a service's own `host` or `hosts` replaces both of the defaults'. A job takes only the
 * defaults' health timeout: its gate is its exit code, a probe meant for services is not its own. */
export function mergeService(source: ServiceSource): WrittenService {
  const own = flattenBuild(source.own);
  const defaults = flattenBuild(source.defaults);
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
  const isJob = (own.kind ?? defaults.kind) === "job";
  const health = mergeHealth(isJob ? jobPart(defaults.health) : defaults.health, own.health);
  if (health === undefined) delete merged.health;
  else merged.health = health;
  return merged;
}

function jobPart(health: WrittenHealth | undefined): WrittenHealth | undefined {
  if (health === undefined || health === false) return health;
  return health.timeout === undefined ? undefined : { timeout: health.timeout };
}

/** The resolved service. Problems go to ctx.problems; the spec is returned anyway so the rules can still run. */
export function normaliseService(source: ServiceSource, ctx: LoadContext): ServiceSpec {
  const written = mergeService(source);
  const { dir, home } = ctx;
  const ports = written.ports ?? [];
  const kind = written.kind ?? DEFAULTS.kind;
  const envFiles = envFileEntries(written.env_file).map((entry) => ({
    ...entry,
    file: fromManifestDir(dir, entry.file, home),
  }));
  const health = resolveHealth(written.health, ports, kind);
  const dependencies = dependencyEntries(written.depends_on);
  // With its health or ports left out for a problem, the gate cannot be judged: no follow-on problem.
  const judgeable = !source.invalid.has("health") && !source.invalid.has("ports");
  if (typeof health === "string" && judgeable) {
    const inherited = source.own.health === undefined;
    ctx.problems.add(keyPath(source, "health"), inherited ? `service ${source.name}: ${health}` : health);
  }
  return {
    name: source.name,
    kind,
    ...origin(written, ctx),
    branch: written.branch ?? DEFAULTS.branch,
    gitTimeoutMs: written.git_timeout ?? durationMs(DEFAULTS.gitTimeout),
    context: normaliseRelative(written.context ?? DEFAULTS.context),
    dockerfile: normaliseRelative(written.dockerfile ?? DEFAULTS.dockerfile),
    ...(written.target === undefined ? {} : { target: written.target }),
    buildArgs: secrets(written.build_args ?? {}),
    hosts: unique(written.hosts ?? [written.host ?? DEFAULTS.host]),
    ports,
    environment: secrets(environment(source, written, envFiles, ctx)),
    envFiles: envFiles.map((entry) => entry.file),
    volumes: (written.volumes ?? []).map((volume) => resolveVolume(volume, dir, home)),
    networks: unique(written.networks ?? []),
    ...(written.command === undefined ? {} : { command: written.command }),
    dependsOn: unique(dependencies.map((dependency) => dependency.name)),
    dependsOnStarted: unique(
      dependencies
        .filter((dependency) => dependency.condition === "service_started")
        .map((dependency) => dependency.name),
    ),
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

/** Where the service's image comes from: built from its repo, or pulled. */
function origin(written: WrittenService, ctx: LoadContext): Pick<ServiceSpec, "repo" | "image"> {
  if (written.image !== undefined) {
    return { image: { reference: written.image, pullPolicy: written.pull_policy ?? DEFAULTS.pullPolicy } };
  }
  const repo = written.repo ?? "";
  return { repo: isGitUrl(repo) ? repo : fromManifestDir(ctx.dir, repo, ctx.home) };
}

/** The env_files, later ones winning, under `environment`; a key written without a value is taken from the
 * caller's environment. */
function environment(
  source: ServiceSource,
  written: WrittenService,
  envFiles: readonly EnvFileEntry[],
  ctx: LoadContext,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const entry of envFiles) {
    // An env_file outside the manifest's folder is not read at all; the envFileInside rule reports it.
    if (isInside(ctx.dir, entry.file)) Object.assign(values, readEnvFile(source, entry, ctx));
  }
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

function readEnvFile(source: ServiceSource, entry: EnvFileEntry, ctx: LoadContext): Record<string, string> {
  const { file } = entry;
  const path = keyPath(source, "env_file", ...(entry.at as PathSegment[]));
  let text: string;
  try {
    text = ctx.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !entry.required) return {};
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
