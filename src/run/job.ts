import type { ContainerState } from "../docker/engine.js";
import { containerCreateOptions } from "../docker/specs.js";
import { errorMessage } from "../errors.js";
import type { StatusRecord } from "../events.js";
import { containerName } from "../labels.js";
import type { HealthSpec } from "../manifest/types.js";
import type { ReplaceContext } from "./replace.js";

/** A job without a `health.timeout` may run this long. */
const DEFAULT_JOB_TIMEOUT_MS = 60 * 60 * 1000;

/** How long a job may run: its `health.timeout` (or `running:` duration; `{ timeout }` alone for a job). */
export function jobTimeoutMs(health: HealthSpec): number {
  if (health.kind === "http" || health.kind === "docker") return health.timeoutMs;
  if (health.kind === "running") return health.durationMs;
  return health.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
}

/**
 * `kind: job` (migrations, one-off tasks): runs the container to completion. Success is exit 0 within the
 * timeout; dependents wait for it like for a healthy service. The previous run's container is replaced (a job
 * serves nothing, so there is nothing to keep running), and the finished container is kept for its logs.
 */
export async function runJob(ctx: ReplaceContext, previous: ContainerState | null): Promise<StatusRecord> {
  const { engine, inputs, tracker } = ctx;
  const name = containerName(inputs.project, inputs.service.name);
  tracker.enter("deploying");
  for (const network of inputs.service.networks) await engine.ensureNetwork(network, inputs.project);
  if (previous) await engine.remove(previous.id);

  let id: string;
  try {
    id = await engine.createContainer(containerCreateOptions(inputs, name));
    for (const network of inputs.service.networks.slice(1))
      await engine.connectNetwork(network, id, [inputs.service.name]);
    await engine.start(id);
    ctx.onStarted?.();
  } catch (error) {
    return tracker.fail("failed", "deploy", `could not start the job: ${errorMessage(error)}`);
  }
  tracker.enter("checking", { container_id: id });
  tracker.log("deploy", `job ${id.slice(0, 12)} started from ${inputs.image}`);

  const timeoutMs = jobTimeoutMs(inputs.service.health);
  const outcome = await waitForExit(ctx, id, timeoutMs);
  if (outcome.kind === "exited" && outcome.code === 0) {
    tracker.log("health", "job completed with exit 0");
    return tracker.finish("succeeded", {
      container_id: id,
      live_image: inputs.image,
      live_commit: inputs.commit || null,
      reason: "job completed with exit 0",
    });
  }
  if (outcome.kind !== "exited") await engine.stop(id, 5).catch(() => undefined);
  const tail = await engine.logTail(id, 10);
  const output = tail ? `; its last log lines:\n${tail.replace(/^/gm, "  | ")}` : "";
  if (outcome.kind === "interrupted")
    return tracker.fail("failed", "interrupted", "interrupted while the job ran");
  const why =
    outcome.kind === "timeout"
      ? `the job did not finish within ${timeoutMs} ms`
      : `the job exited with code ${outcome.code}`;
  return tracker.fail("failed", "health", `${why}${output}`, { container_id: id });
}

type ExitOutcome = { kind: "exited"; code: number } | { kind: "timeout" } | { kind: "interrupted" };

async function waitForExit(ctx: ReplaceContext, id: string, timeoutMs: number): Promise<ExitOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signals = ctx.signal ? [timeout, ctx.signal] : [timeout];
  const stopped = new Promise<ExitOutcome>((resolve) => {
    const onAbort = () => resolve(ctx.signal?.aborted ? { kind: "interrupted" } : { kind: "timeout" });
    for (const signal of signals) signal.addEventListener("abort", onAbort, { once: true });
  });
  const exited = ctx.engine.wait(id).then((code): ExitOutcome => ({ kind: "exited", code }));
  return Promise.race([exited, stopped]);
}
