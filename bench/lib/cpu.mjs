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

/**
 * Starts a measurement; `stop()` returns { machineBusyPct, machineCpuS, engineCpuS }. With `sampleMs`, the
 * machine's counters are also read every `sampleMs` until `stop()`, so that `busyWhere(test)` can tell how
 * busy the machine was in part of the run.
 */
export function cpuMeter({ sampleMs } = {}) {
  const pids = enginePids();
  const machine = machineTicks();
  const engine = engineTicks(pids);
  const samples = [];
  const sample = () => {
    const ticks = machineTicks();
    if (ticks) samples.push({ at: Date.now(), ...ticks });
  };
  const timer = sampleMs ? setInterval(sample, sampleMs) : null;
  if (timer) sample();
  return {
    stop() {
      if (timer) {
        clearInterval(timer);
        sample();
      }
      const machineEnd = machineTicks();
      const engineEnd = engineTicks(pids);
      const total = machine && machineEnd ? machineEnd.total - machine.total : 0;
      const idle = machine && machineEnd ? machineEnd.idle - machine.idle : 0;
      return {
        machineBusyPct: total > 0 ? Math.round((100 * (total - idle)) / total) : null,
        // /proc/stat counts ticks of every CPU: busy ticks are CPU time, whichever CPUs it ran on.
        machineCpuS: total > 0 ? (total - idle) / TICKS_PER_SECOND : null,
        engineCpuS: engine !== null && engineEnd !== null ? (engineEnd - engine) / TICKS_PER_SECOND : null,
      };
    },
    /**
     * How busy the machine was during the sampled intervals whose middle passes `test(epochMs)`: { pct, s }
     * (s: how long those intervals lasted together), or null when none does.
     */
    busyWhere(test) {
      let busy = 0;
      let total = 0;
      let ms = 0;
      for (let i = 1; i < samples.length; i++) {
        const [a, b] = [samples[i - 1], samples[i]];
        if (!test((a.at + b.at) / 2)) continue;
        busy += b.total - b.idle - (a.total - a.idle);
        total += b.total - a.total;
        ms += b.at - a.at;
      }
      return total > 0 ? { pct: Math.round((100 * busy) / total), s: ms / 1000 } : null;
    },
  };
}

/** The time of a fixed piece of CPU work (ms, best of 3): a shared VM's own speed drifts without steal time. */
export function cpuLoopMs() {
  let best = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = performance.now();
    let x = 0;
    for (let i = 0; i < 50_000_000; i++) x = (x + i * 7) % 1_000_003;
    if (x < 0) throw new Error("unreachable"); // keeps the loop from being optimised away
    best = Math.min(best, performance.now() - started);
  }
  return Math.round(best);
}
