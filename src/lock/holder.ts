import { readFileSync, readlinkSync } from "node:fs";
import { hostname, userInfo } from "node:os";

/** Who holds a deploy lock; stored with the lock so the one refused can say whom to ask. */
export interface LockHolder {
  host: string;
  pid: number;
  user: string;
  run_id: string;
  since: string;
  /**
   * The process space `pid` belongs to (machine id, boot id, pid namespace): two CI runners may share a
   * hostname, never this. Absent in locks written by older versions.
   */
  machine?: string;
}

/** How sure a lock's holder is still running, seen from this process. */
export type Liveness = "alive" | "gone" | "unknown";

export function currentHolder(runId: string, now: Date): LockHolder {
  return {
    host: hostname(),
    pid: process.pid,
    user: safeUser(),
    run_id: runId,
    since: now.toISOString(),
    machine: processSpace(),
  };
}

export function describeHolder(holder: Partial<LockHolder>): string {
  return `run ${holder.run_id ?? "?"} by ${holder.user ?? "?"}@${holder.host ?? "?"} (pid ${holder.pid ?? "?"}) since ${holder.since ?? "?"}`;
}

/**
 * Pure: a holder's pid means something here only when it was recorded in this very process space (same
 * machine, same boot, same pid namespace); then it is alive exactly when that pid exists. Anything else — a
 * holder on another machine or runner, or a record without a process space — cannot be checked from here.
 */
export function holderLiveness(
  holder: Partial<LockHolder>,
  self: { machine: string; pid: number },
  pidExists: (pid: number) => boolean,
): Liveness {
  if (!holder.machine || holder.machine !== self.machine || !holder.pid) return "unknown";
  // Our own pid in a record of this space: an earlier process whose pid was reused by us, or us.
  if (holder.pid === self.pid) return "unknown";
  return pidExists(holder.pid) ? "alive" : "gone";
}

/** A holder's liveness seen from this process. */
export function livenessHere(holder: Partial<LockHolder>): Liveness {
  return holderLiveness(holder, { machine: processSpace(), pid: process.pid }, pidExists);
}

/** A holder is provably gone only when it ran in this process space and its process no longer exists. */
export function holderIsGone(holder: Partial<LockHolder>): boolean {
  return livenessHere(holder) === "gone";
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH"; // EPERM: it exists, under another user
  }
}

let space: string | undefined;

/**
 * This process's space, where a pid names one process: on Linux the machine id, the boot id (new at every
 * boot) and the pid namespace (a container has its own); elsewhere only the hostname can be had.
 */
export function processSpace(): string {
  space ??= linuxProcessSpace() ?? `host:${hostname()}`;
  return space;
}

function linuxProcessSpace(): string | undefined {
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8").trim();
    } catch {
      return "";
    }
  };
  const boot = read("/proc/sys/kernel/random/boot_id");
  if (!boot) return undefined;
  const machine = read("/etc/machine-id") || read("/var/lib/dbus/machine-id");
  let pidNamespace: string;
  try {
    pidNamespace = readlinkSync("/proc/self/ns/pid"); // pid:[4026531836]
  } catch {
    pidNamespace = `host:${hostname()}`; // unreadable: containers on one boot are told apart by hostname only
  }
  return [machine || "?", boot, pidNamespace].join("/");
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? "?");
  }
}
