import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { interpolate } from "./interpolate.js";
import { check } from "./issues.js";
import { projectFromDir } from "./names.js";
import { type LoadContext, normaliseHost, normaliseService, type ServiceSource } from "./normalise.js";
import { dotted, ProblemList, sortProblems } from "./problems.js";
import { applyRules } from "./rules.js";
import { checkSalvaging } from "./salvage.js";
import { DEFAULTS, DefaultsSchema, HostSchema, OutlineSchema, ServiceSchema } from "./schema.js";
import { registrySpec } from "./swarm-normalise.js";
import type { HostSpec, Manifest, ManifestResult, ServiceSpec } from "./types.js";
import { memoryBytes } from "./values.js";
import { readYaml } from "./yaml.js";

export interface ParseOptions {
  /** The manifest's path; made absolute. */
  file: string;
  /** Where relative paths start; default: the manifest's folder. */
  dir?: string;
  /** For `${VAR}`s and value-less environment keys; default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Reads an env_file (absolute path); throws like fs.readFileSync. Default: the real file system. */
  readFile?: (file: string) => string;
  /** Whether a local repository path exists. Default: the real file system. */
  exists?: (file: string) => boolean;
}

const FROM_ENVIRONMENT = "(a value from the environment)";

/**
 * The manifest text -> the resolved Manifest, or every problem found. Stages: YAML (stop on syntax errors) ->
 * `${VAR}` -> the schema, piece by piece (top level, defaults, each host, each service; what is valid of a
 * failing piece is kept) -> normalise -> cross-field rules, which so still run beside schema problems.
 * File reads are injectable.
 */
export function parseManifest(text: string, options: ParseOptions): ManifestResult {
  const file = path.resolve(options.file);
  const dir = path.resolve(options.dir ?? path.dirname(file));
  const env = options.env ?? process.env;

  const yaml = readYaml(text);
  if (yaml.problems.length > 0) return { ok: false, problems: sortProblems(yaml.problems) };
  const problems = new ProblemList(yaml.lineOf);
  if (yaml.value === null) {
    problems.add([], "the manifest is empty: it needs at least a services section");
    return { ok: false, problems: problems.sorted() };
  }

  const interpolated = interpolate(withoutExtensions(yaml.value), env);
  for (const problem of interpolated.problems) problems.addAndMute(problem.path, problem.message);
  const hidden = new Set(interpolated.fromEnvironment.map(dotted));
  const load: LoadContext = {
    dir,
    env,
    home: env.HOME ?? os.homedir(),
    readFile: options.readFile ?? ((name) => readFileSync(name, "utf8")),
    exists: options.exists ?? existsSync,
    problems,
    shown: (at, value) => (hidden.has(dotted(at)) ? FROM_ENVIRONMENT : value),
  };

  const manifest = build(interpolated.value, file, load);
  if (manifest === undefined || problems.size > 0) return { ok: false, problems: problems.sorted() };
  return { ok: true, manifest };
}

function build(value: unknown, file: string, load: LoadContext): Manifest | undefined {
  const { problems } = load;
  if (!isMap(value)) {
    problems.add(
      [],
      "expected a map of settings (version, project, defaults, hosts, services) at the top level",
    );
    return undefined;
  }
  const outline = check(OutlineSchema, value, [], problems);
  const defaults =
    value.defaults === undefined
      ? { value: {}, invalid: new Set<string>() }
      : checkSalvaging(DefaultsSchema, value.defaults, ["defaults"], problems);

  const writtenHosts = isMap(value.hosts) ? value.hosts : {};
  const hostNames = [...("local" in writtenHosts ? [] : ["local"]), ...Object.keys(writtenHosts)];
  const hosts: Record<string, HostSpec> = {};
  for (const name of hostNames) {
    const host =
      name in writtenHosts ? check(HostSchema, writtenHosts[name], ["hosts", name], problems) : null;
    if (host !== undefined) hosts[name] = normaliseHost(name, host, load);
  }

  const writtenServices = isMap(value.services) ? value.services : {};
  const sources = new Map<string, ServiceSource>();
  const services: Record<string, ServiceSpec> = {};
  for (const [name, written] of Object.entries(writtenServices)) {
    const own = checkSalvaging(ServiceSchema, written, ["services", name], problems, ["repo", "image"]);
    if (own === undefined || defaults === undefined) continue;
    // A default that was left out for a problem is as unknown to the service as its own invalid keys.
    const inherited = [...defaults.invalid].filter((key) => !(key in own.value));
    const source = {
      name,
      own: own.value,
      defaults: defaults.value,
      invalid: new Set([...own.invalid, ...inherited]),
    };
    sources.set(name, source);
    services[name] = normaliseService(source, load);
  }

  const manifest: Manifest = {
    file,
    dir: load.dir,
    project: outline?.project ?? projectFromDir(load.dir),
    hosts,
    keepImages: outline?.keep_images ?? DEFAULTS.keepImages,
    keepRuns: outline?.keep_runs ?? DEFAULTS.keepRuns,
    logMaxSize: memoryBytes(outline?.log_max_size ?? DEFAULTS.logMaxSize),
    ...(outline?.metrics_file ? { metricsFile: path.resolve(load.dir, outline.metrics_file) } : {}),
    ...(outline?.notify
      ? {
          notify: {
            webhook: outline.notify.webhook,
            on: outline.notify.on ?? ["failure"],
            timeoutMs: outline.notify.timeout ?? DEFAULTS.notifyTimeoutMs,
          },
        }
      : {}),
    ...(outline?.registry ? { registry: registrySpec(outline.registry) } : {}),
    services,
  };
  applyRules({ manifest, sources, serviceNames: Object.keys(writtenServices), hostNames, load });
  return manifest;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Top-level `x-…` keys are Compose's extension fields: a place for YAML anchors (`x-base: &base`) that services
 * merge in with `<<: *base`. They are no settings of their own, so they are neither interpolated nor checked.
 */
function withoutExtensions(value: unknown): unknown {
  if (!isMap(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith("x-")));
}
