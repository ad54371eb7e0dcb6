import type { Clock } from "../clock.js";
import type { Phase } from "../errors.js";
import type { EventSink, HealthGate, LogPhase, ServiceState, StatusRecord, TargetRef } from "../events.js";

/**
 * Holds one target's status record for the run and emits it whole at every change, so the status file and
 * the terminal always see the same, complete picture.
 */
export class TargetTracker {
  readonly #record: StatusRecord;
  readonly #startedMs: number;
  readonly #stop: AbortSignal | undefined;

  constructor(
    readonly ref: TargetRef,
    init: { runId: string; branch: string; healthGate: HealthGate; stop?: AbortSignal },
    private readonly sink: EventSink,
    private readonly clock: Clock,
  ) {
    this.#startedMs = clock.now();
    this.#stop = init.stop;
    this.#record = {
      service: ref.service,
      run_id: init.runId,
      state: "pending",
      host: ref.host,
      branch: init.branch,
      ref_kind: null,
      commit: null,
      image: null,
      container_id: null,
      image_id: null,
      previous_image: null,
      previous_image_id: null,
      live_image: null,
      live_commit: null,
      health_gate: init.healthGate,
      started_at: new Date(this.#startedMs).toISOString(),
      finished_at: null,
      duration_ms: null,
      downtime_ms: null,
      reason: null,
      error: null,
    };
  }

  get status(): Readonly<StatusRecord> {
    return this.#record;
  }

  /** Records facts without a state change (they go out with the next state change). */
  note(patch: Partial<StatusRecord>): void {
    Object.assign(this.#record, patch);
  }

  enter(state: ServiceState, patch: Partial<StatusRecord> = {}): void {
    Object.assign(this.#record, patch, { state });
    this.#emit();
  }

  finish(state: ServiceState, patch: Partial<StatusRecord> = {}): StatusRecord {
    const now = this.clock.now();
    Object.assign(this.#record, patch, {
      state,
      finished_at: new Date(now).toISOString(),
      duration_ms: now - this.#startedMs,
    });
    this.#emit();
    return { ...this.#record };
  }

  fail(
    state: "failed" | "rolled_back",
    phase: Phase,
    message: string,
    patch: Partial<StatusRecord> = {},
  ): StatusRecord {
    // An interruption says what interrupted it: a signal, or the project lock taken from the run.
    const why = this.#stop?.reason;
    if (phase === "interrupted" && why instanceof Error) message = `${message} (${why.message})`;
    this.log(logPhaseOf(phase), `${state === "rolled_back" ? "rolled back" : "failed"}: ${message}`);
    return this.finish(state, { ...patch, error: { phase, message } });
  }

  /** Adds facts to a final record (e.g. the release recorded after success) and writes it out again. */
  amend(patch: Partial<StatusRecord>): void {
    Object.assign(this.#record, patch);
    this.#emit();
  }

  log(phase: LogPhase, line: string): void {
    this.sink({ type: "log", target: this.ref, phase, line });
  }

  #emit(): void {
    this.sink({ type: "status", target: this.ref, status: { ...this.#record } });
  }
}

export function logPhaseOf(phase: Phase): LogPhase {
  if (phase === "git" || phase === "build" || phase === "health") return phase;
  return "deploy";
}
