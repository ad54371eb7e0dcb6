/** The phases a service's deploy goes through; every error is attributed to one. */
export type Phase = "manifest" | "connect" | "git" | "build" | "deploy" | "health" | "interrupted";

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  locked: 3,
  interrupted: 130,
} as const;

/** An error that says how the run ends: main() prints its message and exits with its code. */
export abstract class ExitError extends Error {
  abstract readonly exitCode: number;
}

/** A mistake by the person running the tool (bad flag, unknown service, bad manifest): exit 2, nothing touched. */
export class UsageError extends ExitError {
  readonly exitCode: number = EXIT.usage;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Another deploy holds this project's lock: exit 3, nothing touched. */
export class LockedError extends ExitError {
  readonly exitCode: number = EXIT.locked;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LockedError";
  }
}

/** A failure of one service's deploy, carrying the phase it happened in. */
export class PhaseError extends Error {
  constructor(
    readonly phase: Phase,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "PhaseError";
  }
}

/** Wraps anything thrown during `phase` into a PhaseError, keeping an existing PhaseError's own phase. */
export function inPhase(phase: Phase, error: unknown): PhaseError {
  if (error instanceof PhaseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PhaseError(phase, message, { cause: error });
}

/** The exit code an error asks for: an ExitError's own (UsageError 2, LockedError 3), or null for a bug. */
export function exitCodeOf(error: unknown): number | null {
  return error instanceof ExitError ? error.exitCode : null;
}

/**
 * Ends the process now, skipping every cleanup: the one exit outside main(), for a second Ctrl-C, when the
 * person asked not to wait for the rollback the first one started (it cannot return through main in time).
 */
export function exitAtOnce(code: number): never {
  process.exit(code);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
