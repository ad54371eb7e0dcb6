import type { Dispatcher } from "undici";
import type { Clock } from "../clock.js";
import type { Engine } from "../docker/engine.js";
import { httpCheck } from "../health/http-check.js";
import type { GateOutcome } from "../health/outcome.js";
import { type Check, type CheckResult, poll } from "../health/poll.js";
import { healthUrl } from "../health/url.js";
import type { ServiceSpec } from "../manifest/types.js";

/** How long a gate-less (`health: false`) container must keep running before it counts as started. */
export const NO_GATE_WINDOW_MS = 2000;
const RUNNING_POLL_MS = 500;

/**
 * Waits until a freshly started container passes its service's gate. Every attempt also checks that the
 * container still runs: once it has exited, waiting longer cannot help, so the gate fails at once with the
 * exit code and the container's last log lines.
 */
export async function waitHealthy(options: {
  engine: Engine;
  containerId: string;
  service: ServiceSpec;
  /** Probe this URL instead of the service's own (a container behind the proxy is probed directly). */
  url?: string;
  httpDispatcher?: Dispatcher;
  /** Restarts the container had before the gate (0 for a new one); any further restart counts as a crash. */
  knownRestarts?: number;
  clock: Clock;
  signal?: AbortSignal;
  onAttempt?: (detail: string) => void;
}): Promise<GateOutcome> {
  const { engine, containerId, service, clock } = options;
  const health = service.health;
  const alive = stillRunning(engine, containerId, options.knownRestarts ?? 0);
  let check: Check;
  let pollOptions: { intervalMs: number; timeoutMs: number; startPeriodMs?: number };
  switch (health.kind) {
    case "http":
      check = guarded(
        alive,
        httpCheck(options.url ?? healthUrl(service, health), health.expectStatus, options.httpDispatcher),
      );
      pollOptions = {
        intervalMs: health.intervalMs,
        timeoutMs: health.timeoutMs,
        startPeriodMs: health.startPeriodMs,
      };
      break;
    case "docker":
      check = guarded(alive, dockerHealthCheck(engine, containerId));
      pollOptions = { intervalMs: health.intervalMs, timeoutMs: health.timeoutMs };
      break;
    case "running":
    case "none": {
      const window = health.kind === "running" ? health.durationMs : NO_GATE_WINDOW_MS;
      const outcome = await runningFor(alive, window, clock, options.signal);
      return outcome.ok
        ? outcome
        : { ok: false, message: `${outcome.message}${await logExcerpt(engine, containerId)}` };
    }
  }
  const result = await poll(check, {
    ...pollOptions,
    clock,
    signal: options.signal,
    onAttempt: (attempt) => options.onAttempt?.(attempt.detail),
  });
  if (result.ok) return { ok: true, detail: result.detail };
  const seconds = (result.elapsedMs / 1000).toFixed(1);
  const why = result.fatal ? result.detail : `not healthy after ${seconds}s; last: ${result.detail}`;
  return { ok: false, message: `${why}${await logExcerpt(engine, containerId)}` };
}

/** Passes when the container is still running after `durationMs`; fails as soon as it exits. */
async function runningFor(
  alive: Check,
  durationMs: number,
  clock: Clock,
  signal?: AbortSignal,
): Promise<GateOutcome> {
  const result = await poll(
    {
      target: alive.target,
      attempt: async (attemptSignal) => {
        const state = await alive.attempt(attemptSignal);
        return state.ok ? { ok: false, detail: "still running" } : state;
      },
    },
    { intervalMs: Math.min(RUNNING_POLL_MS, durationMs), timeoutMs: durationMs, clock, signal },
  );
  if (result.ok || !result.fatal) return { ok: true, detail: `still running after ${durationMs} ms` };
  return { ok: false, message: result.detail };
}

function stillRunning(engine: Engine, containerId: string, knownRestarts: number): Check {
  return {
    target: `container ${containerId.slice(0, 12)}`,
    async attempt(): Promise<CheckResult> {
      const state = await engine.inspectContainer(containerId);
      if (!state) return { ok: false, fatal: true, detail: "the container disappeared" };
      if (!state.running || state.restarting || state.restartCount > knownRestarts) {
        // Under a restart policy a crashed container is started again at once and looks running between
        // crashes: any restart during the gate is a crash.
        if (!state.running) {
          return { ok: false, fatal: true, detail: `the container exited with code ${state.exitCode}` };
        }
        const restarts = Math.max(1, state.restartCount - knownRestarts);
        const code = state.restarting ? ` with code ${state.exitCode}` : "";
        return {
          ok: false,
          fatal: true,
          detail: `the container exited${code} and was restarted by its restart policy (${restarts} time(s)): it crashes`,
        };
      }
      return { ok: true, detail: "running" };
    },
  };
}

/** Runs `check` only while the container runs, so a crash ends the gate instead of waiting for the timeout. */
function guarded(alive: Check, check: Check): Check {
  return {
    target: check.target,
    async attempt(signal) {
      const state = await alive.attempt(signal);
      if (!state.ok) return state;
      return check.attempt(signal);
    },
  };
}

function dockerHealthCheck(engine: Engine, containerId: string): Check {
  return {
    target: `HEALTHCHECK of ${containerId.slice(0, 12)}`,
    async attempt(): Promise<CheckResult> {
      const state = await engine.inspectContainer(containerId);
      const status = state?.health;
      if (status === undefined) return { ok: false, fatal: true, detail: "the image has no HEALTHCHECK" };
      if (status === "healthy") return { ok: true, detail: "HEALTHCHECK reports healthy" };
      return { ok: false, fatal: status === "unhealthy", detail: `HEALTHCHECK reports ${status}` };
    },
  };
}

async function logExcerpt(engine: Engine, containerId: string): Promise<string> {
  const tail = await engine.logTail(containerId, 10);
  if (!tail) return "; the container printed nothing";
  return `; container's last log lines:\n${tail
    .split("\n")
    .map((line) => `  | ${line}`)
    .join("\n")}`;
}
