import { systemClock } from "../clock.js";
import { EXIT, errorMessage, exitAtOnce } from "../errors.js";
import type { RunSummary, StatusRecord } from "../events.js";
import { RepoCache } from "../git/repo-cache.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { currentHolder } from "../lock/holder.js";
import { acquireProjectLock } from "../lock/project-lock.js";
import type { HostSpec, Manifest } from "../manifest/types.js";
import { buildPlan, type DeployPlan, newRunId, type PlanIntent } from "../plan/plan.js";
import { pruneRunSummaries, rotateLogs } from "../report/housekeeping.js";
import { writeMetricsFile } from "../report/metrics.js";
import { sendNotification, shouldNotify, webhookOrigin } from "../report/notify.js";
import { createRedactor, type Redactor, redactSummary } from "../report/redact.js";
import { createReporter } from "../report/reporter.js";
import { appendStepSummary } from "../report/step-summary.js";
import { executePlan, prefetchRefs, type RunSettings } from "../run/execute.js";
import { RunRepos } from "../run/run-repos.js";
import { revealAll } from "../secret.js";
import { redactUrl } from "../url-redact.js";

export type OutputMode = "tree" | "plain" | "quiet" | "json";

export interface DeployRequest {
  manifest: Manifest;
  selected: string[];
  branch?: string;
  intent: PlanIntent;
  settings: RunSettings;
  logsDir: string;
  cacheDir: string;
  output: OutputMode;
  lockWaitMs: number;
  /** `--metrics-file`, over the manifest's `metrics_file`. */
  metricsFile?: string;
  io: Io;
  /** The command line as typed and the options as understood, for the run summary. */
  command: string[];
  summaryOptions: Record<string, unknown>;
}

/**
 * A whole deploy run, shared by `deploy` and `rollback`: lock the project (all or nothing, before anything
 * is touched), run the plan with live reporting, write the files and summary, release, and give the exit code.
 */
export async function runDeploy(request: DeployRequest): Promise<number> {
  const { manifest, io } = request;
  const startedAt = new Date(systemClock.now());
  const plan = buildPlan(manifest, request.selected, request.branch, newRunId(startedAt), request.intent);
  const hosts = new HostPool(connectHost);
  const stop = stopControl(io);
  // Git needs neither the lock nor a host: it runs while they are taken, and stops if the lock is refused.
  // Not when waiting for the lock: the refs are read once it is held, as a deploy started then would.
  const lockRefused = new AbortController();
  const repos = new RunRepos(
    new RepoCache(request.cacheDir),
    AbortSignal.any([stop.signal, lockRefused.signal]),
  );
  if (request.lockWaitMs === 0) prefetchRefs(plan, repos, request.settings.concurrency);
  try {
    const release = await acquireProjectLock({
      dir: manifest.dir,
      project: plan.project,
      holder: currentHolder(plan.runId, startedAt),
      hosts: uniqueHosts(plan),
      pool: hosts,
      waitMs: request.lockWaitMs,
      clock: systemClock,
      warn: (message) => io.stderr.write(`deploy: warning: ${redactUrl(message)}\n`),
      onLost: stop.lockLost,
    }).catch((error: unknown) => {
      lockRefused.abort(error);
      throw error;
    });
    try {
      return await runLocked(plan, request, hosts, repos, startedAt, stop);
    } finally {
      await release();
    }
  } finally {
    await hosts.closeAll();
  }
}

async function runLocked(
  plan: DeployPlan,
  request: DeployRequest,
  hosts: HostPool,
  repos: RunRepos,
  startedAt: Date,
  stop: StopControl,
): Promise<number> {
  const { io, manifest } = request;
  const keys = plan.targets.map((target) => target.ref.key);
  const secrets = secretValues(manifest, request.selected);
  const redact = createRedactor(secrets);
  await bestEffort(io, redact, "rotating log files", () =>
    rotateLogs(request.logsDir, keys, manifest.logMaxSize),
  );
  const reporter = createReporter({
    logsDir: request.logsDir,
    runId: plan.runId,
    output: request.output,
    targets: plan.targets.map((target) => target.ref),
    secretValues: secrets,
    stdout: io.stdout,
    stderr: io.stderr,
    color: !io.env.NO_COLOR && io.stdout.isTTY === true,
  });
  const stopListening = stop.listen();
  let results: StatusRecord[];
  try {
    results = await executePlan(plan, {
      settings: request.settings,
      hosts,
      repos,
      clock: systemClock,
      sink: reporter.sink,
      signal: stop.signal,
    });
  } finally {
    stopListening();
  }
  const allGood = results.every((result) => result.state === "succeeded" || result.state === "unchanged");
  const exitCode = stop.signalled() ? EXIT.interrupted : allGood ? EXIT.ok : EXIT.failed;
  const summary = runSummary(plan, request, startedAt, results, exitCode);
  await reporter.finish(summary);
  await afterRun(request, plan, summary, redact);
  return exitCode;
}

/**
 * Housekeeping and the outside world, after the files are written: old run summaries, the metrics file, the CI
 * job summary and the notification. None of it may change the run's result or exit code: failures are reported on stderr.
 */
async function afterRun(
  request: DeployRequest,
  plan: DeployPlan,
  summary: RunSummary,
  redact: Redactor,
): Promise<void> {
  const { io, manifest } = request;
  await bestEffort(io, redact, "pruning old run summaries", () =>
    pruneRunSummaries(request.logsDir, manifest.keepRuns),
  );
  const metricsFile = request.metricsFile ?? manifest.metricsFile;
  if (metricsFile) {
    await bestEffort(io, redact, `writing metrics to ${metricsFile}`, () =>
      writeMetricsFile(metricsFile, summary, manifest.project),
    );
  }
  // Set by GitHub Actions in every step: the job summary shown on the run's page.
  const stepSummary = io.env.GITHUB_STEP_SUMMARY;
  if (stepSummary) {
    await bestEffort(io, redact, `appending the run summary to ${stepSummary}`, () =>
      appendStepSummary(stepSummary, summary, {
        project: manifest.project,
        logsDir: request.logsDir,
        cwd: io.cwd,
        targets: plan.targets.map((target) => target.ref),
        redact,
      }),
    );
  }
  const notify = manifest.notify;
  if (notify && shouldNotify(notify, summary)) {
    const failure = await sendNotification(notify.webhook, redactSummary(summary, redact), {
      timeoutMs: notify.timeoutMs,
    });
    if (failure) {
      const where = webhookOrigin(notify.webhook);
      io.stderr.write(`deploy: warning: notifying ${where} failed: ${redact(failure)}\n`);
    }
  }
}

async function bestEffort(
  io: Io,
  redact: Redactor,
  what: string,
  work: () => Promise<unknown>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    io.stderr.write(`deploy: warning: ${what} failed: ${redact(errorMessage(error))}\n`);
  }
}

interface StopControl {
  /** Aborted by the first SIGINT/SIGTERM, or when the project lock is taken from the run. */
  signal: AbortSignal;
  /** Whether a signal (not a lost lock) stopped the run: exit 130. */
  signalled(): boolean;
  lockLost(why: string): void;
  /** Handles SIGINT/SIGTERM while the plan runs; the returned function stops that (and lock losses count no more). */
  listen(): () => void;
}

/**
 * The first SIGINT/SIGTERM aborts work in flight: builds and probes stop, replaces in progress roll back, and
 * the files and summary are still written. A second one exits at once. A lock taken from the run (`deploy
 * unlock --force`) stops it the same way; its services fail (exit 1), since no operator interrupted it here.
 */
function stopControl(io: Io): StopControl {
  const controller = new AbortController();
  let signalled = false;
  let done = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) exitAtOnce(EXIT.interrupted);
    signalled = true;
    io.stderr.write(`\ndeploy: ${signal}: stopping work in flight and rolling back; again to exit at once\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  return {
    signal: controller.signal,
    signalled: () => signalled,
    lockLost: (why) => {
      if (done || controller.signal.aborted) return;
      const message = `the project lock was taken from this run, as \`deploy unlock --force\` does: ${why}`;
      io.stderr.write(`\ndeploy: ${message}: stopping work in flight and rolling back\n`);
      controller.abort(new Error(message));
    },
    listen: () => {
      process.on("SIGINT", handler);
      process.on("SIGTERM", handler);
      return () => {
        done = true;
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
      };
    },
  };
}

function uniqueHosts(plan: DeployPlan): HostSpec[] {
  return [...new Map(plan.targets.map((target) => [target.host.name, target.host])).values()];
}

/**
 * Every secret value of the selected services, the registry password, and the webhook URL (a token for
 * Slack-style hooks), so the reporter can scrub them from any output line.
 */
function secretValues(manifest: Manifest, selected: readonly string[]): string[] {
  const values = selected.flatMap((name) => {
    const service = manifest.services[name];
    if (!service) return [];
    return [...Object.values(revealAll(service.environment)), ...Object.values(revealAll(service.buildArgs))];
  });
  const password = manifest.registry?.password?.reveal();
  if (password) values.push(password);
  return manifest.notify ? [...values, manifest.notify.webhook] : values;
}

function runSummary(
  plan: DeployPlan,
  request: DeployRequest,
  startedAt: Date,
  results: StatusRecord[],
  exitCode: number,
): RunSummary {
  const finished = systemClock.now();
  return {
    run_id: plan.runId,
    command: request.command,
    options: request.summaryOptions,
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
