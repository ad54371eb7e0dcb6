/**
 * How busy the machine and the Docker engine were while a variant ran (Linux /proc): the machine's busy share
 * of all CPUs (other work on the machine included), and the CPU seconds used by the engine's dockerd and its
 * containerd (builds, commits, container creation). Null where /proc cannot tell.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

function machineTicks() {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { idle, total };
  } catch {
    return null;
  }
}

/** dockerd of /var/run/docker.pid (the engine the bench uses) and the containerd it started. */
function enginePids() {
  try {
    const dockerd = readFileSync("/var/run/docker.pid", "utf8").trim();
    const pids = [dockerd];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
        if (comm === "containerd" && ppid === dockerd) pids.push(entry);
      } catch {
        // the process ended meanwhile
      }
    }
    return pids;
  } catch {
    return [];
  }
}

function engineTicks(pids) {
  if (pids.length === 0) return null;
  let sum = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After "(comm) " comes field 3 (state): utime (14) and stime (15) are rest[11] and rest[12].
      sum += Number(rest[11]) + Number(rest[12]);
    } catch {
      return null;
    }
  }
  return sum;
}

/** Starts a measurement; `stop()` returns { machineBusyPct, engineCpuS }. */
export function cpuMeter() {
  const pids = enginePids();
  const machine = machineTicks();
  const engine = engineTicks(pids);
  return {
    stop() {
      const machineEnd = machineTicks();
      const engineEnd = engineTicks(pids);
      const total = machine && machineEnd ? machineEnd.total - machine.total : 0;
      const idle = machine && machineEnd ? machineEnd.idle - machine.idle : 0;
      return {
        machineBusyPct: total > 0 ? Math.round((100 * (total - idle)) / total) : null,
        engineCpuS: engine !== null && engineEnd !== null ? (engineEnd - engine) / TICKS_PER_SECOND : null,
      };
    },
  };
}
