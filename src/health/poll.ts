import type { Clock } from "../clock.js";

/** One attempt's outcome. `fatal` ends polling at once (the container exited: waiting longer cannot help). */
export type CheckResult = { ok: true; detail: string } | { ok: false; detail: string; fatal?: boolean };

/** A readiness check: one attempt, bounded by `signal`. `target` names what is probed, for messages. */
export interface Check {
  target: string;
  attempt(signal: AbortSignal): Promise<CheckResult>;
}

export interface PollOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Failures during this first period are expected (the app is booting) and only logged. */
  startPeriodMs?: number;
  clock: Clock;
  signal?: AbortSignal;
  onAttempt?: (result: CheckResult, elapsedMs: number) => void;
}

export type PollResult =
  | { ok: true; attempts: number; elapsedMs: number; detail: string }
  | { ok: false; attempts: number; elapsedMs: number; detail: string; fatal: boolean };

/**
 * Runs `check` every `intervalMs` until it passes, fails fatally, or `timeoutMs` (counted after the start
 * period) has passed. Each attempt gets at most the time left, so the whole poll never overruns its budget
 * by more than one interval.
 */
export async function poll(check: Check, options: PollOptions): Promise<PollResult> {
  const { clock, intervalMs } = options;
  const started = clock.now();
  const deadline = started + (options.startPeriodMs ?? 0) + options.timeoutMs;
  let attempts = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    attempts += 1;
    const attemptBudget = Math.max(deadline - clock.now(), intervalMs, 1000);
    const result = await runAttempt(check, attemptBudget, options.signal);
    const elapsedMs = clock.now() - started;
    options.onAttempt?.(result, elapsedMs);
    if (result.ok) return { ok: true, attempts, elapsedMs, detail: result.detail };
    if (result.fatal) return { ok: false, attempts, elapsedMs, detail: result.detail, fatal: true };
    if (clock.now() + intervalMs > deadline) {
      return { ok: false, attempts, elapsedMs, detail: result.detail, fatal: false };
    }
    await clock.sleep(intervalMs, options.signal);
  }
}

async function runAttempt(check: Check, budgetMs: number, outer?: AbortSignal): Promise<CheckResult> {
  const timeout = AbortSignal.timeout(budgetMs);
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
  try {
    return await check.attempt(signal);
  } catch (error) {
    outer?.throwIfAborted();
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}
