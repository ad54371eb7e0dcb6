import * as z from "zod"; // a namespace import: see the zod check in scripts/build.mjs
import { DEFAULTS, scalarText } from "./fields.js";

/**
 * The service keys of schema.ts that have more than one written form: the build keys (flat, or Compose's
 * `build:`), `env_file` entries, `depends_on` conditions, image references, `KEY=value` entries.
 */

export const context = z.string().min(1).meta({
  description: "Build context: a folder inside the repository (monorepos).",
  default: DEFAULTS.context,
});
export const dockerfile = z
  .string()
  .min(1)
  .meta({ description: "Dockerfile, relative to `context`.", default: DEFAULTS.dockerfile });
export const target = z.string().min(1).describe("Build stage to stop at (`docker build --target`).");
export const buildArgs = z
  .record(z.string(), scalarText)
  .describe(
    "Build arguments; values are secret (never printed or logged). Merged key by key with `defaults`.",
  );

/** Compose's `build:` map: the build keys under Compose's names. */
const BuildMapSchema = z
  .strictObject({
    context,
    dockerfile,
    target,
    args: z
      .union([
        buildArgs,
        z
          .array(z.string().regex(/=/, { error: 'expected "KEY=value"' }))
          .transform((entries) =>
            Object.fromEntries(entries.map((entry) => splitEnvEntry(entry) as [string, string])),
          ),
      ])
      .describe('Build arguments, a map or a list of "KEY=value" (Compose\'s name for `build_args`).'),
  })
  .partial();

/** Compose's `build:`: a context folder, or the map. */
export const BuildSchema = z
  .union([
    z
      .string()
      .min(1)
      .transform((folder): z.output<typeof BuildMapSchema> => ({ context: folder })),
    BuildMapSchema,
  ])
  .describe(
    "Compose's spelling of the build keys: a context folder, or `{context, dockerfile, target, args}`. " +
      "Not together with context, dockerfile, target or build_args.",
  );

/** An env_file entry in Compose's long form: a file that may be missing when `required: false`. */
export const EnvFileEntrySchema = z
  .strictObject({
    path: z.string().min(1).describe("KEY=VALUE file inside the manifest's folder."),
    required: z.boolean().meta({ description: "false: a missing file is skipped.", default: true }),
  })
  .partial({ required: true });

/** Docker's image references: [registry[:port]/]name[/name…][:tag][@sha256:digest]. */
export const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export const DEPENDENCY_CONDITIONS = [
  "service_healthy",
  "service_started",
  "service_completed_successfully",
] as const;

export const DependencySchema = z.strictObject({
  condition: z
    .enum(DEPENDENCY_CONDITIONS)
    .describe(
      "`service_healthy`: after its gate passed (a job: after it exited 0); `service_started`: once its " +
        "container started; `service_completed_successfully`: a job that exited 0.",
    ),
});

export function splitEnvEntry(entry: string): [string, string | null] {
  const at = entry.indexOf("=");
  return at < 0 ? [entry, null] : [entry.slice(0, at), entry.slice(at + 1)];
}
