import type { PathSegment } from "./problems.js";
import type { DependencyCondition, WrittenDefaults, WrittenService } from "./schema.js";

/**
 * Docker Compose's spellings of keys this manifest also has, read into one form: `build:` as the flat build
 * keys, `depends_on` as a list or a map of conditions, `env_file` as one file or a list.
 */

/** The flat build keys, each with its name under Compose's `build:`. */
export const BUILD_ALIASES = {
  context: "context",
  dockerfile: "dockerfile",
  target: "target",
  build_args: "args",
} as const;

/** A written service or defaults with its `build:` moved to the flat keys (giving both is a rule's problem). */
export function flattenBuild<T extends WrittenDefaults>(written: T): T {
  const { build, ...rest } = written;
  if (build === undefined) return written;
  return {
    ...rest,
    ...(build.context === undefined ? {} : { context: build.context }),
    ...(build.dockerfile === undefined ? {} : { dockerfile: build.dockerfile }),
    ...(build.target === undefined ? {} : { target: build.target }),
    ...(build.args === undefined ? {} : { build_args: build.args }),
  } as T;
}

export interface DependencyEntry {
  name: string;
  /** Absent in the list form: healthy for a service, exited 0 for a job. */
  condition?: DependencyCondition;
  /** Its place under `depends_on`: an index in the list form, the name in the map form. */
  at: PathSegment;
}

export function dependencyEntries(written: WrittenService["depends_on"]): DependencyEntry[] {
  if (written === undefined) return [];
  if (Array.isArray(written)) return written.map((name, index) => ({ name, at: index }));
  return Object.entries(written).map(([name, entry]) => ({ name, condition: entry.condition, at: name }));
}

export interface EnvFileEntry {
  file: string;
  /** Compose's `required: false`: a missing file is skipped. */
  required: boolean;
  /** Its place under `env_file`: nothing for the single-file form. */
  at: PathSegment[];
}

export function envFileEntries(written: WrittenDefaults["env_file"]): EnvFileEntry[] {
  if (written === undefined) return [];
  if (typeof written === "string") return [{ file: written, required: true, at: [] }];
  return written.map((entry, index) =>
    typeof entry === "string"
      ? { file: entry, required: true, at: [index] }
      : { file: entry.path, required: entry.required ?? true, at: [index, "path"] },
  );
}
