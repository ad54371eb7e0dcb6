import * as z from "zod"; // a namespace import: see the zod check in scripts/build.mjs
import { duration, portNumber } from "./fields.js";
import type { PortMapping } from "./types.js";

/** The written form of what only Swarm hosts use (SPEC §11): the registry, replicas, placement, rolling updates. */

export const SWARM_DEFAULTS = { parallelism: 1, delay: "0s", order: "stop-first" } as const;

/** `{ target, published, mode, protocol }`: Compose's long port syntax, as `docker stack deploy` reads it. */
export const LongPortSchema = z
  .strictObject({
    target: portNumber.describe("Container port."),
    published: portNumber
      .optional()
      .describe("Published port; absent (host mode only): the engine picks one for each task."),
    mode: z.enum(["ingress", "host"]).optional().meta({
      description:
        "Swarm only. `ingress`: the routing mesh answers on every node; `host`: only the nodes running a task.",
      default: "ingress",
    }),
    protocol: z.enum(["tcp", "udp"]).optional().meta({ description: "Protocol.", default: "tcp" }),
  })
  .transform(
    (port): PortMapping => ({
      // 0: no fixed port, the engine picks one per task (its PortStatus says which).
      hostPort: port.published ?? 0,
      containerPort: port.target,
      protocol: port.protocol ?? "tcp",
      ...(port.mode ? { mode: port.mode } : {}),
    }),
  );

export const swarmServiceShape = {
  replicas: z.int().min(0).meta({ description: "Swarm only: how many tasks run the service.", default: 1 }),
  placement: z
    .array(z.string().min(1))
    .describe('Swarm only: placement constraints, e.g. "node.role==worker", "node.labels.zone==a".'),
  update: z
    .strictObject({
      parallelism: z.int().min(0).optional().meta({
        description: "Tasks updated at once (0: all).",
        default: SWARM_DEFAULTS.parallelism,
      }),
      delay: duration("Wait between two batches of updated tasks", {
        default: SWARM_DEFAULTS.delay,
      }).optional(),
      order: z.enum(["start-first", "stop-first"]).optional().meta({
        description:
          "`start-first`: a new task starts before the old one stops (no gap); `stop-first`: after.",
        default: SWARM_DEFAULTS.order,
      }),
    })
    .describe("Swarm only: how a new version rolls out; a failed update rolls back (Swarm's own rollback)."),
};

/** `registry.example.com:5000[/path]`: where Swarm services' images are pushed and every node pulls them from. */
export const RegistrySchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9._-]+)*\/?$/i, {
        error: 'expected host[:port][/path], without a scheme, e.g. "registry.example.com:5000"',
      })
      .describe("Registry host[:port][/path]; images are tagged <url>/<project>/<service>:<commit12>."),
    username: z
      .string()
      .min(1)
      .optional()
      .describe("Registry user (a $VAR from the environment is allowed)."),
    password: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Registry password or token: a secret (write it as a $VAR from the environment), never printed or written.",
      ),
  })
  .meta({
    description: "The registry Swarm hosts' images go through (required by services on a Swarm host).",
  });
