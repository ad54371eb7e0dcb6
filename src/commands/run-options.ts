import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import { toolCacheDir } from "../cache-home.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import type { Manifest } from "../manifest/types.js";
import { DURATION_PATTERN, durationMs, MAX_DURATION, MAX_DURATION_MS } from "../manifest/values.js";
import type { OutputMode } from "./run-deploy.js";

/** Options of every command that runs a deploy (deploy, rollback): where files go, how it reports, locking. */
export interface RunArgs {
  logsDir?: string;
  cacheDir?: string;
  output?: "tree" | "plain" | "quiet";
  json: boolean;
  /** Milliseconds to wait for another deploy's lock. */
  lockWait?: number;
  concurrency?: number;
  metricsFile?: string;
}

export function withRunOptions<T>(yargs: Argv<T>): Argv<T & RunArgs> {
  return yargs
    .option("logs-dir", {
      type: "string",
      describe: "folder for log, status and run files (default: logs/ beside the manifest)",
    })
    .option("cache-dir", {
      type: "string",
      describe: "repository cache (default: $XDG_CACHE_HOME or ~/.cache, then deploy-orchestrator)",
    })
    .option("output", {
      choices: ["tree", "plain", "quiet"] as const,
      describe: "tree on a terminal, else plain",
    })
    .option("json", {
      type: "boolean",
      default: false,
      describe: "print only the run summary as JSON on stdout",
    })
    .option("metrics-file", {
      type: "string",
      describe: "write a Prometheus textfile-collector file after the run (over the manifest's metrics_file)",
    })
    .option("concurrency", {
      alias: "j",
      type: "number",
      describe: "services in flight at once (default: all)",
    })
    .option("lock-wait", {
      type: "string",
      describe: "wait this long for another deploy's lock (e.g. 10m) instead of exiting 3",
      coerce: parseDurationOption,
    }) as unknown as Argv<T & RunArgs>;
}

export function logsDirOf(args: Pick<RunArgs, "logsDir">, manifest: Manifest, io: Io): string {
  return args.logsDir ? resolve(io.cwd, args.logsDir) : join(manifest.dir, "logs");
}

export function metricsFileOf(args: Pick<RunArgs, "metricsFile">, io: Io): string | undefined {
  return args.metricsFile ? resolve(io.cwd, args.metricsFile) : undefined;
}

export function cacheDirOf(args: Pick<RunArgs, "cacheDir">, io: Io): string {
  return args.cacheDir ? resolve(io.cwd, args.cacheDir) : toolCacheDir(io.env);
}

export function outputModeOf(args: RunArgs, io: Io): OutputMode {
  if (args.json) return "json";
  return args.output ?? (io.stdout.isTTY ? "tree" : "plain");
}

export function concurrencyOf(args: RunArgs): number {
  if (args.concurrency === undefined) return Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(args.concurrency) || args.concurrency < 1) {
    throw new UsageError("--concurrency must be a whole number of at least 1");
  }
  return args.concurrency;
}

/** `--lock-wait 10m` (or DEPLOY_LOCK_WAIT) in milliseconds; a bare number is seconds, as in the manifest. */
function parseDurationOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const seconds = /^\d+(\.\d+)?$/.test(text);
  if (!seconds && !DURATION_PATTERN.test(text))
    throw new UsageError(`--lock-wait: expected a duration like 30s or 10m, got ${text}`);
  const ms = durationMs(seconds ? Number(text) : text);
  if (ms > MAX_DURATION_MS) throw new UsageError(`--lock-wait: must be at most ${MAX_DURATION}`);
  return ms;
}

/** The parts of a deploy run that come from the shared run options. */
export function runSettingsOf(args: RunArgs, manifest: Manifest, io: Io) {
  return {
    logsDir: logsDirOf(args, manifest, io),
    cacheDir: cacheDirOf(args, io),
    output: outputModeOf(args, io),
    lockWaitMs: args.lockWait ?? 0,
    metricsFile: metricsFileOf(args, io),
    io,
  };
}

/**
 * `--force-rebuild` asks for two things, named here once: deploy every target even when it is unchanged (the
 * plan's `redeploy`), and build its image without the engine's layer cache (the run's `noCache`).
 */
export function forceRebuildMeans(forceRebuild: boolean): { redeploy: boolean; noCache: boolean } {
  return { redeploy: forceRebuild, noCache: forceRebuild };
}
