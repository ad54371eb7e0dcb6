import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { Argv, CommandModule } from "yargs";
import { EXIT, UsageError } from "../errors.js";
import { RepoCache } from "../git/repo-cache.js";
import { systemClock } from "../health/clock.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { currentHolder } from "../lock/holder.js";
import { acquireProjectLock } from "../lock/project-lock.js";
import type { HostSpec, Manifest } from "../manifest/types.js";
import { DURATION_PATTERN, durationMs } from "../manifest/values.js";
import { buildPlan, type DeployPlan, newRunId } from "../plan/plan.js";
import { selectServices } from "../plan/select.js";
import { createReporter } from "../report/reporter.js";
import type { RunSummary, StatusRecord } from "../run/events.js";
import { executePlan } from "../run/execute.js";
import { revealAll } from "../secret.js";
import { type GlobalArgs, loadManifestOrThrow } from "./manifest-option.js";

export type OutputMode = "tree" | "plain" | "quiet" | "json";

export interface DeployArgs extends GlobalArgs {
  services: string;
  branch?: string;
  forceRebuild: boolean;
  concurrency?: number;
  failFast: boolean;
  rollback: boolean;
  logsDir?: string;
  cacheDir?: string;
  output?: "tree" | "plain" | "quiet";
  json: boolean;
  /** Milliseconds to wait for another deploy's lock. */
  lockWait?: number;
}

export function deployCommand(
  io: Io,
  argvWords: readonly string[],
  setExit: (code: number) => void,
): CommandModule<GlobalArgs, DeployArgs> {
  return {
    command: "$0 <services> [branch]",
    describe: "Fetch, build and deploy services (all, or a comma list), health-gated",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional("services", {
          type: "string",
          describe: "`all` or a comma list: auth-service,user-service",
        })
        .positional("branch", {
          type: "string",
          describe: "branch for every selected service (default: manifest's)",
        })
        .option("force-rebuild", {
          type: "boolean",
          default: false,
          describe: "build without cache and replace",
        })
        .option("concurrency", {
          alias: "j",
          type: "number",
          describe: "services in flight at once (default: all)",
        })
        .option("fail-fast", {
          type: "boolean",
          default: false,
          describe: "start nothing new after a failure",
        })
        .option("rollback", {
          type: "boolean",
          default: true,
          describe: "put the previous container back on failure",
        })
        .option("logs-dir", {
          type: "string",
          describe: "folder for log, status and run files (default: logs/ beside the manifest)",
        })
        .option("cache-dir", {
          type: "string",
          describe: "repository cache (default: ~/.cache/deploy-orchestrator)",
        })
        .option("output", {
          choices: ["tree", "plain", "quiet"] as const,
          describe: "tree on a terminal, else plain",
        })
        .option("lock-wait", {
          type: "string",
          describe: "wait this long for another deploy's lock (e.g. 10m) instead of exiting 3",
          coerce: parseDurationOption,
        })
        .option("json", {
          type: "boolean",
          default: false,
          describe: "print only the run summary as JSON on stdout",
        })
        .example("$0 all main", "deploy every service from branch main")
        .example("$0 auth-service,user-service main --force-rebuild", "rebuild two services without cache")
        .example("$0 all --output plain >> /var/log/deploy.log", "from cron") as unknown as Argv<DeployArgs>,
    handler: async (argv: DeployArgs) => {
      setExit(await deploy(argv, io, argvWords));
    },
  };
}

async function deploy(argv: DeployArgs, io: Io, argvWords: readonly string[]): Promise<number> {
  const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
  const selected = selectServices(manifest, argv.services);
  const startedAt = new Date(systemClock.now());
  const plan = buildPlan(manifest, selected, argv.branch, newRunId(startedAt), {
    forceRebuild: argv.forceRebuild,
    concurrency: argv.concurrency ?? Number.MAX_SAFE_INTEGER,
    noRollback: !argv.rollback,
    failFast: argv.failFast,
  });
  const logsDir = argv.logsDir ? resolve(io.cwd, argv.logsDir) : join(manifest.dir, "logs");
  const hosts = new HostPool(connectHost);
  try {
    const release = await acquireProjectLock({
      dir: manifest.dir,
      project: plan.project,
      holder: currentHolder(plan.runId, startedAt),
      hosts: uniqueHosts(plan),
      pool: hosts,
      waitMs: argv.lockWait ?? 0,
      clock: systemClock,
      warn: (message) => io.stderr.write(`deploy: warning: ${message}\n`),
    });
    try {
      return await runPlan(plan, { argv, io, argvWords, manifest, selected, logsDir, hosts, startedAt });
    } finally {
      await release();
    }
  } finally {
    await hosts.closeAll();
  }
}

interface RunContext {
  argv: DeployArgs;
  io: Io;
  argvWords: readonly string[];
  manifest: Manifest;
  selected: string[];
  logsDir: string;
  hosts: HostPool;
  startedAt: Date;
}

async function runPlan(plan: DeployPlan, ctx: RunContext): Promise<number> {
  const { argv, io, argvWords, manifest, selected, logsDir, hosts, startedAt } = ctx;
  const reporter = createReporter({
    logsDir,
    runId: plan.runId,
    output: outputMode(argv, io),
    targets: plan.targets.map((target) => target.ref),
    secretValues: secretValues(manifest, selected),
    stdout: io.stdout,
    stderr: io.stderr,
    color: !io.env.NO_COLOR && io.stdout.isTTY === true,
  });
  const interrupt = onInterrupt(io);
  let results: StatusRecord[];
  try {
    results = await executePlan(plan, {
      hosts,
      repoCache: new RepoCache(cacheDir(argv, io)),
      clock: systemClock,
      sink: reporter.sink,
      signal: interrupt.signal,
    });
  } finally {
    interrupt.dispose();
  }
  const allGood = results.every((result) => result.state === "succeeded" || result.state === "unchanged");
  const exitCode = interrupt.signal.aborted ? EXIT.interrupted : allGood ? EXIT.ok : EXIT.failed;
  await reporter.finish(runSummary(plan, argvWords, argv, startedAt, results, exitCode));
  return exitCode;
}

/**
 * The first SIGINT/SIGTERM aborts work in flight: builds and probes stop, replaces in progress roll back, and
 * the files and summary are still written. A second one exits at once.
 */
function onInterrupt(io: Io): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    io.stderr.write(`\ndeploy: ${signal}: stopping work in flight and rolling back; again to exit at once\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** `--lock-wait 10m` (or DEPLOY_LOCK_WAIT) in milliseconds; a bare number is seconds, as in the manifest. */
function parseDurationOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return durationMs(Number(text));
  if (!DURATION_PATTERN.test(text))
    throw new UsageError(`--lock-wait: expected a duration like 30s or 10m, got ${text}`);
  return durationMs(text);
}

function uniqueHosts(plan: DeployPlan): HostSpec[] {
  return [...new Map(plan.targets.map((target) => [target.host.name, target.host])).values()];
}

function outputMode(argv: DeployArgs, io: Io): OutputMode {
  if (argv.json) return "json";
  return argv.output ?? (io.stdout.isTTY ? "tree" : "plain");
}

function cacheDir(argv: DeployArgs, io: Io): string {
  if (argv.cacheDir) return resolve(io.cwd, argv.cacheDir);
  const base = io.env.XDG_CACHE_HOME || join(io.env.HOME || homedir(), ".cache");
  return join(base, "deploy-orchestrator");
}

/** Every secret value of the selected services, so the reporter can scrub them from any output line. */
function secretValues(manifest: Manifest, selected: readonly string[]): string[] {
  return selected.flatMap((name) => {
    const service = manifest.services[name];
    if (!service) return [];
    return [...Object.values(revealAll(service.environment)), ...Object.values(revealAll(service.buildArgs))];
  });
}

function runSummary(
  plan: DeployPlan,
  argvWords: readonly string[],
  argv: DeployArgs,
  startedAt: Date,
  results: StatusRecord[],
  exitCode: number,
): RunSummary {
  const finished = systemClock.now();
  return {
    run_id: plan.runId,
    command: ["deploy", ...argvWords],
    options: {
      services: argv.services,
      branch: argv.branch ?? null,
      file: argv.file,
      force_rebuild: argv.forceRebuild,
      concurrency: argv.concurrency ?? null,
      fail_fast: argv.failFast,
      rollback: argv.rollback,
    },
    started_at: startedAt.toISOString(),
    finished_at: new Date(finished).toISOString(),
    duration_ms: finished - startedAt.getTime(),
    exit_code: exitCode,
    services: results.map((result) => ({
      service: result.service,
      host: result.host,
      state: result.state,
      commit: result.commit,
      image: result.image,
      duration_ms: result.duration_ms,
      reason: result.reason,
      error: result.error,
    })),
  };
}
