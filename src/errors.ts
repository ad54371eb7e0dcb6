/** The phases a service's deploy goes through; every error is attributed to one. */
export type Phase = "manifest" | "connect" | "git" | "build" | "deploy" | "health" | "interrupted";

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  locked: 3,
  interrupted: 130,
} as const;

/** A mistake by the person running the tool (bad flag, unknown service, bad manifest): exit 2, nothing touched. */
export class UsageError extends Error {
  readonly exitCode: number = EXIT.usage;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Another deploy holds this project's lock: exit 3, nothing touched. */
export class LockedError extends Error {
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

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
