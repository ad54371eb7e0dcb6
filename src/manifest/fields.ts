import * as z from "zod";
import { DURATION_PATTERN, durationMs, MAX_DURATION, MAX_DURATION_MS } from "./values.js";

/**
 * The defaults of the manifest. normalise.ts applies them, not the schema, so that `defaults:` can tell what a
 * service left out; the schema shows them as `default` in the generated JSON Schema.
 */
export const DEFAULTS = {
  keepImages: 3,
  keepRuns: 50,
  logMaxSize: "10m",
  notifyTimeoutMs: 10_000,
  branch: "main",
  context: ".",
  dockerfile: "Dockerfile",
  gitTimeout: "2m",
  host: "local",
  restart: "unless-stopped",
  kind: "service",
  pullPolicy: "missing",
  hostKeyPolicy: "strict",
  proxyImage: "caddy:2",
  expectStatus: 200,
  interval: "1s",
  timeout: "60s",
  startPeriod: "0s",
} as const;

const DURATION_HINT = 'a duration such as "500ms", "1s", "1m30s", "1h", or a number of seconds';

/**
 * A duration, written as text or seconds, parsed to milliseconds. The description and default sit on the
 * written side: zod leaves a transform's default out of an input-side JSON Schema.
 */
export function duration(description: string, options: { positive?: boolean; default?: string } = {}) {
  const meta = { description: `${description} (${DURATION_HINT}).` };
  const parsed = z
    .union([
      z.string().regex(DURATION_PATTERN, { error: `expected ${DURATION_HINT}` }),
      z.number().nonnegative({ error: "a duration cannot be negative" }),
    ])
    .meta(options.default === undefined ? meta : { ...meta, default: options.default })
    .transform(durationMs)
    .refine((ms) => ms <= MAX_DURATION_MS, { error: `must be at most ${MAX_DURATION}` });
  return options.positive ? parsed.refine((ms) => ms > 0, { error: "must be longer than 0" }) : parsed;
}

/** Number-ish scalars are accepted where Docker takes text (build args, labels, environment values). */
export const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const portNumber = z.int().min(1).max(65_535);

/** Reports a parser's message as a problem at the value's path. */
export function parsedWith<T>(parse: (text: string) => T | string) {
  return z.string().transform((text, ctx): T => {
    const result = parse(text);
    if (typeof result !== "string") return result;
    ctx.issues.push({ code: "custom", message: result, input: text });
    return z.NEVER;
  });
}

/** A non-empty string that `problem` accepts; otherwise its message is the problem at the value's path. */
export function checkedWith(problem: (text: string) => string | undefined) {
  return z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      const message = problem(text);
      if (message !== undefined) ctx.addIssue({ code: "custom", message, input: text });
    });
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === "http:" || protocol === "https:";
}

export const HealthObjectSchema = z
  .strictObject({
    url: z
      .string()
      .refine(isHttpUrl, { error: "expected an http:// or https:// URL" })
      .describe("URL probed from the target host (tunnelled over SSH for remote hosts). Not with `path`."),
    path: z
      .string()
      .startsWith("/", { error: 'must start with "/"' })
      .describe("Path probed on 127.0.0.1 of the target host at `port`. Not with `url`."),
    port: portNumber.describe("Published host port for `path`; default: the service's first published port."),
    expect_status: z
      .union([z.int().min(100).max(599), z.enum(["2xx", "3xx"])])
      .meta({ description: 'HTTP status that means healthy: a code, or "2xx" / "3xx".', default: 200 }),
    interval: duration("Time between two probes", { positive: true, default: DEFAULTS.interval }),
    timeout: duration("Total time allowed to become healthy (for a job: to finish)", {
      positive: true,
      default: DEFAULTS.timeout,
    }),
    start_period: duration("Grace time before failed probes count", { default: DEFAULTS.startPeriod }),
    docker: z
      .literal(true)
      .describe("Wait for the image's own HEALTHCHECK to report healthy (with interval, timeout)."),
    running: duration("Healthy when the container is still running after this long; no other key", {
      positive: true,
    }),
  })
  .partial()
  .describe("The gate a new container must pass before the old one is removed.");

export const HealthSchema = z.union([z.literal(false), HealthObjectSchema]).meta({
  id: "Health",
  description:
    "The health gate: `url` or `path` (+ `port`) for HTTP, `{docker: true}`, `{running: 10s}`, or `false` for " +
    "none. In `defaults`, merged key by key with each service's.",
});
