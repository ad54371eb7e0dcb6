import { hostname, userInfo } from "node:os";

/** Who holds a deploy lock; stored with the lock so the one refused can say whom to ask. */
export interface LockHolder {
  host: string;
  pid: number;
  user: string;
  run_id: string;
  since: string;
}

export function currentHolder(runId: string, now: Date): LockHolder {
  return { host: hostname(), pid: process.pid, user: safeUser(), run_id: runId, since: now.toISOString() };
}

export function describeHolder(holder: Partial<LockHolder>): string {
  return `run ${holder.run_id ?? "?"} by ${holder.user ?? "?"}@${holder.host ?? "?"} (pid ${holder.pid ?? "?"}) since ${holder.since ?? "?"}`;
}

/**
 * A holder is provably gone only when it ran on this machine and its process no longer exists; a holder on
 * another machine cannot be checked from here and is respected until `deploy unlock`.
 */
export function holderIsGone(holder: Partial<LockHolder>): boolean {
  if (holder.host !== hostname() || !holder.pid) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? "?");
  }
}
