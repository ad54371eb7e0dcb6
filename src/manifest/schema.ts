import * as z from "zod"; // a namespace import: see the zod check in scripts/build.mjs
import {
  checkedWith,
  DEFAULTS,
  duration,
  HealthObjectSchema,
  HealthSchema,
  parsedWith,
  portNumber,
  scalarText,
} from "./fields.js";
import { refProblem, repoProblem } from "./git-values.js";

import { NAME_PATTERN, NAME_RULE } from "./names.js";
import {
  BuildSchema,
  buildArgs,
  context,
  type DEPENDENCY_CONDITIONS,
  DependencySchema,
  dockerfile,
  EnvFileEntrySchema,
  IMAGE_REFERENCE,
  splitEnvEntry,
  target,
} from "./service-fields.js";
import { LongPortSchema, RegistrySchema, swarmServiceShape } from "./swarm-schema.js";
import { MEMORY_PATTERN, memoryBytes, parsePort, parseSshTarget } from "./values.js";

// A manifest is parsed once per process: compiling zod's fast-path parsers would cost more than they save.
z.config({ jitless: true });

export { DEFAULTS };

/**
 * The written form of `services.yaml`, as one zod schema. It is also the documentation: every field has a
 * description (and its default, see fields.ts), and the JSON Schema is generated from it (json-schema.ts).
 */

/** Every service key but `repo`, `image` and `depends_on`: these may also be given once under `defaults`. */
const sharedServiceShape = {
  branch: checkedWith(refProblem).meta({
    description: "Git branch, tag or commit id (full or abbreviated) to deploy.",
    default: DEFAULTS.branch,
  }),
  git_timeout: duration(
    "How long each git step (asking for the branch's head, fetching it) may take before it is stopped and the " +
      "service fails",
    { positive: true, default: DEFAULTS.gitTimeout },
  ),
  context,
  dockerfile,
  target,
  build_args: buildArgs,
  build: BuildSchema,
  pull_policy: z.enum(["missing", "always"]).meta({
    description:
      "For `image` services: `missing` pulls only when the host lacks the image (a local one is used as is, " +
      "so an offline host works); `always` pulls at every deploy.",
    default: DEFAULTS.pullPolicy,
  }),
  host: z.string().min(1).meta({
    description: "Name of the host (under `hosts`) to run on. Not with `hosts`.",
    default: DEFAULTS.host,
  }),
  hosts: z
    .array(z.string().min(1))
    .min(1)
    .describe("Names of the hosts to run on, each getting its own container. Not with `host`."),
  ports: z
    .array(
      z.union([
        z.preprocess((v) => (typeof v === "number" ? String(v) : v), parsedWith(parsePort)),
        LongPortSchema,
      ]),
    )
    .describe(
      'Published ports: "[ip:]host_port:container_port[/tcp|udp]", e.g. "127.0.0.1:3000:3000", "8080:80/udp", ' +
        "or (Swarm hosts) `{ target, published, mode, protocol }`.",
    ),
  environment: z
    .union([
      z.record(z.string(), z.union([scalarText, z.null()])),
      z.array(z.string()).transform((entries) => Object.fromEntries(entries.map(splitEnvEntry))),
    ])
    .describe(
      'Container environment, a map or a list of "KEY=value"; a key without a value is taken from the caller\'s ' +
        "environment. Values are secret. Overrides `env_file`; merged key by key with `defaults`.",
    ),
  env_file: z
    .union([z.string().min(1), z.array(z.union([z.string().min(1), EnvFileEntrySchema])).min(1)])
    .describe(
      "KEY=VALUE file(s) inside the manifest's folder, read when the manifest is loaded; in a list, later " +
        "files override earlier ones. Values are secret.",
    ),
  volumes: z
    .array(z.string().min(1))
    .describe(
      'Docker volume strings, e.g. "data:/data", "./config:/config:ro"; relative host paths start at the manifest.',
    ),
  networks: z.array(z.string().min(1)).describe("Docker networks to attach to; created when missing."),
  command: z
    .union([
      z
        .string()
        .min(1)
        .transform((text) => text.trim().split(/\s+/)),
      z.array(z.string()).min(1),
    ])
    .describe("Command overriding the image's CMD: a list, or a string split on whitespace."),
  restart: z
    .enum(["no", "always", "unless-stopped", "on-failure"])
    .meta({ description: "Docker restart policy.", default: DEFAULTS.restart }),
  labels: z
    .record(z.string(), scalarText)
    .describe("Extra container labels (io.deploy.* is reserved). Merged key by key with `defaults`."),
  memory: z
    .union([
      z
        .string()
        .regex(MEMORY_PATTERN, { error: 'expected a size such as "512m", "1g", "100k", "1024b" or bytes' }),
      z.int().positive(),
    ])
    .describe('Memory limit: "512m", "1g", "100k", "1024b", or a number of bytes.')
    .transform(memoryBytes)
    .refine((bytes) => bytes > 0, { error: "must be more than 0 bytes" }),
  cpus: z.number().positive().describe("CPU limit, in CPUs (0.5 = half of one)."),
  kind: z.enum(["service", "job"]).meta({
    description: "`job` runs to completion (exit 0 within health.timeout) and dependents wait for it.",
    default: DEFAULTS.kind,
  }),
  health: HealthSchema,
  proxy: z
    .union([
      z.boolean(),
      z.strictObject({
        host: z
          .string()
          .regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, {
            error: "expected a lowercase host name such as api.example.com",
          })
          .describe("Host name routed to this service on the proxy's :80 (and :443 with `tls`)."),
        tls: z
          .union([z.boolean(), z.literal("internal")])
          .optional()
          .meta({
            description:
              "HTTPS for `host` with Caddy's automatic certificates; `internal`: from Caddy's own CA (tests, private networks).",
            default: false,
          }),
        port: portNumber
          .optional()
          .describe(
            "Container port `host` traffic goes to; default: the first published port's container port.",
          ),
      }),
    ])
    .describe(
      "Serve through the host's reverse proxy (Caddy): it publishes `ports`, the container gets none, and a deploy " +
        "switches traffic to the new container only once it is healthy (zero downtime).",
    ),
  stop_grace_period: duration(
    "How long a stopping container may take after its stop signal before it is killed",
    {
      default: "10s",
    },
  ),
  stop_signal: z
    .string()
    .regex(/^(SIG[A-Z0-9+-]+|[0-9]{1,2})$/, { error: 'expected a signal such as "SIGTERM" or "SIGQUIT"' })
    .describe("Signal that stops the container (default: the image's STOPSIGNAL, else SIGTERM)."),
  init: z.boolean().meta({
    description: "Run an init (tini) as PID 1 that forwards signals and reaps zombies.",
    default: false,
  }),
  ...swarmServiceShape,
};

/**
 * `host` and `hosts` in one object contradict each other. Checked even when other keys of the object have
 * problems (zod skips refinements then by default), so that every problem is reported at once.
 */
const notBothHosts = [
  (value: { host?: unknown; hosts?: unknown }) => value.host === undefined || value.hosts === undefined,
  {
    path: ["hosts"],
    error: "give either host or hosts, not both",
    when: (payload: { value: unknown }) => typeof payload.value === "object" && payload.value !== null,
  },
] satisfies [unknown, { path: PropertyKey[] } & Record<string, unknown>];

/** A service is built from `repo` or pulled as `image`: exactly one. Checked like notBothHosts, always. */
const oneSource = [
  (value: { repo?: unknown; image?: unknown }) => (value.repo === undefined) !== (value.image === undefined),
  {
    path: ["repo"],
    error: (issue: { input?: unknown }) =>
      (issue.input as { repo?: unknown } | undefined)?.repo === undefined
        ? "is required: give repo (a git repository to build) or image (an image to pull)"
        : "give either repo (built) or image (pulled), not both",
    when: (payload: { value: unknown }) => typeof payload.value === "object" && payload.value !== null,
  },
] satisfies [unknown, { path: PropertyKey[] } & Record<string, unknown>];

const optionalShared = z.strictObject(sharedServiceShape).partial().shape;

export const ServiceSchema = z
  .strictObject({
    repo: checkedWith(repoProblem)
      .optional()
      .describe(
        "A git URL (ssh://, user@host:path, https://, http://, git://, file://) or a local path relative to the " +
          "manifest's folder. Other transports (ext::, fd::…) are refused. Not with `image`.",
      ),
    image: z
      .string()
      .regex(IMAGE_REFERENCE, {
        error:
          'expected an image reference such as "postgres:16", "ghcr.io/acme/api:1.2" or "redis@sha256:…"',
      })
      .optional()
      .describe("An image to pull and run instead of building one (databases, caches). Not with `repo`."),
    ...optionalShared,
    depends_on: z
      .union([z.array(z.string().min(1)), z.record(z.string(), DependencySchema)])
      .optional()
      .describe(
        "Services that must be healthy (jobs: done) before this starts: a list, or Compose's map of " +
          "`name: {condition: service_healthy | service_started | service_completed_successfully}`.",
      ),
  })
  .refine(...notBothHosts)
  .refine(...oneSource)
  .meta({
    id: "Service",
    description: "One service: where its code is (or its image), how to build it, how to run it.",
    oneOf: [{ required: ["repo"] }, { required: ["image"] }],
  });

export const DefaultsSchema = z
  .strictObject(optionalShared)
  .refine(...notBothHosts)
  .meta({
    id: "Defaults",
    description: "Merged under every service: any service key except repo, image and depends_on.",
  });

export const HostSchema = z
  .union([
    z.null(),
    z
      .strictObject({
        ssh: parsedWith(parseSshTarget).describe(
          '"user@host[:port]" (port 22 by default); absent = a local engine.',
        ),
        identity_file: z.string().min(1).describe("Private key file; else the ssh-agent at SSH_AUTH_SOCK."),
        known_hosts: z.string().min(1).describe("known_hosts file the host key must match."),
        host_key_policy: z.enum(["strict", "accept-new"]).meta({
          description: "`strict`: an unknown host key is an error; `accept-new`: it is recorded.",
          default: DEFAULTS.hostKeyPolicy,
        }),
        docker_socket: z.string().min(1).describe("The engine's socket on that host."),
        max_builds: z.int().min(1).describe("Concurrent image builds on this host."),
        proxy_image: z.string().min(1).meta({
          description: "Image of the reverse proxy run on this host for `proxy` services (Caddy 2).",
          default: DEFAULTS.proxyImage,
        }),
        builder: z
          .enum(["buildkit", "classic"])
          .describe(
            "The engine's image builder: `buildkit`, or `classic` for engines without BuildKit. Absent: BuildKit, unless DOCKER_BUILDKIT=0.",
          ),
        swarm: z.boolean().meta({
          description:
            "A Swarm manager: its services deploy as Swarm services (image pushed to `registry`, rolling updates).",
          default: false,
        }),
      })
      .partial(),
  ])
  .meta({ id: "Host", description: "A Docker engine: local (no `ssh`) or reached over SSH." });

const topLevelShape = {
  version: z
    .literal(1, { error: "must be 1 (the only manifest version)" })
    .optional()
    .describe("Manifest format."),
  project: z
    .string()
    .regex(NAME_PATTERN, { error: `must be ${NAME_RULE}` })
    .optional()
    .describe("Prefix of container and image names and labels; default: the manifest folder's name."),
  keep_images: z.int().min(1).optional().meta({
    description: "Images kept per service on each host; older ones are pruned.",
    default: DEFAULTS.keepImages,
  }),
  keep_runs: z.int().min(1).optional().meta({
    description: "Run summaries kept under logs/runs/; older ones are removed.",
    default: DEFAULTS.keepRuns,
  }),
  log_max_size: z
    .union([
      z.string().regex(MEMORY_PATTERN, { error: 'must be a size such as "10m" or "512k"' }),
      z.int().min(1),
    ])
    .optional()
    .meta({
      description:
        "A service log file past this size is rotated to <service>.log.1 before a run appends to it.",
      default: DEFAULTS.logMaxSize,
    }),
  metrics_file: z
    .string()
    .min(1)
    .optional()
    .describe("Prometheus textfile-collector file written after each run (relative to this file)."),
  notify: z
    .strictObject({
      webhook: z
        .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
        .describe("URL the run summary is POSTed to as JSON."),
      on: z
        .array(z.enum(["failure", "success"]))
        .min(1)
        .optional()
        .meta({ description: "Which runs are sent.", default: ["failure"] }),
      timeout: duration("How long one attempt may take; there are up to three", {
        positive: true,
        default: "10s",
      }).optional(),
    })
    .optional()
    .describe("A webhook told of each run (its failure never changes the deploy's result)."),
  registry: RegistrySchema.optional(),
};

const hasServices = (services: Record<string, unknown>) => Object.keys(services).length > 0;
const NO_SERVICES = "needs at least one service";

export const ManifestSchema = z
  .strictObject({
    ...topLevelShape,
    defaults: DefaultsSchema.optional(),
    hosts: z
      .record(z.string(), HostSchema)
      .optional()
      .describe("Docker hosts by name; `local: {}` (this machine's engine) exists unless redefined."),
    services: z.record(z.string(), ServiceSchema).refine(hasServices, { error: NO_SERVICES }).meta({
      description: "Services by name, deployed concurrently (after their depends_on).",
      minProperties: 1,
    }),
  })
  .meta({
    title: "services.yaml",
    description: "Manifest of the deploy orchestrator.",
    patternProperties: {
      "^x-": { description: "Extension field (as in Compose): a place for YAML anchors." },
    },
  });

/** The top level alone, so that each service, host and the defaults can be checked (and kept) on their own. */
export const OutlineSchema = z.strictObject({
  ...topLevelShape,
  defaults: z.unknown().optional(),
  hosts: z.record(z.string(), z.unknown()).optional(),
  services: z.record(z.string(), z.unknown()).refine(hasServices, { error: NO_SERVICES }),
});

export type WrittenService = z.output<typeof ServiceSchema>;
export type WrittenBuild = z.output<typeof BuildSchema>;
export type DependencyCondition = (typeof DEPENDENCY_CONDITIONS)[number];
export type WrittenDefaults = z.output<typeof DefaultsSchema>;
export type WrittenHealth = z.output<typeof HealthSchema>;
export type WrittenHost = z.output<typeof HostSchema>;

/** Keys each kind of object accepts, for "did you mean" hints on unknown keys. */
export const KNOWN_KEYS = {
  top: Object.keys(ManifestSchema.shape),
  service: ["repo", "image", ...Object.keys(sharedServiceShape), "depends_on"],
  build: ["context", "dockerfile", "target", "args"],
  host: [
    "ssh",
    "identity_file",
    "known_hosts",
    "host_key_policy",
    "docker_socket",
    "max_builds",
    "builder",
    "proxy_image",
    "swarm",
  ],
  health: Object.keys(HealthObjectSchema.shape),
};
