import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  currentHolder,
  holderLiveness,
  type Liveness,
  type LockHolder,
  processSpace,
} from "../../src/lock/holder.js";
import { type HeldLock, unlockVerdict } from "../../src/lock/unlock-rule.js";

const HERE = "machine-a/boot-1/pid:[4026531836]";
const self = { machine: HERE, pid: 100 };
const running = new Set([100, 200]);
const pidExists = (pid: number) => running.has(pid);

describe("holderLiveness", () => {
  const cases: Array<[string, Partial<LockHolder>, Liveness]> = [
    ["this process space, its pid running", { machine: HERE, pid: 200 }, "alive"],
    ["this process space, its pid gone", { machine: HERE, pid: 300 }, "gone"],
    // Two CI runners with one hostname: the hostname says nothing, the process space does.
    [
      "same hostname, another machine",
      { host: "runner", machine: "machine-b/boot-9/pid:[1]", pid: 300 },
      "unknown",
    ],
    ["this machine before a reboot", { machine: "machine-a/boot-0/pid:[4026531836]", pid: 300 }, "unknown"],
    [
      "another container (pid namespace) on this boot",
      { machine: "machine-a/boot-1/pid:[4026532999]", pid: 300 },
      "unknown",
    ],
    ["a record without a process space (older version)", { host: "runner", pid: 300 }, "unknown"],
    ["a record without a pid", { machine: HERE }, "unknown"],
    ["our own pid (reused after a crash, or us)", { machine: HERE, pid: 100 }, "unknown"],
  ];
  it.each(cases)("%s: %s", (_name, holder, expected) => {
    expect(holderLiveness(holder, self, pidExists)).toBe(expected);
  });
});

describe("unlockVerdict", () => {
  const cases: Array<[HeldLock, boolean, boolean]> = [
    [{ liveness: "gone" }, false, true],
    [{ liveness: "gone", fresh: true }, false, true],
    [{ liveness: "alive" }, false, false],
    [{ liveness: "alive" }, true, true],
    [{ liveness: "alive", fresh: true }, false, false],
    [{ liveness: "unknown" }, false, false],
    [{ liveness: "unknown" }, true, true],
    [{ liveness: "unknown", fresh: true }, false, false],
    // A local lock nobody refreshed for the stale threshold: its holder stopped.
    [{ liveness: "unknown", fresh: false }, false, true],
    [{ liveness: "alive", fresh: false }, false, true],
  ];
  it.each(cases)("%j, force %s: removes %s", (lock, force, removes) => {
    expect(unlockVerdict(lock, force).remove).toBe(removes);
  });

  it("says why a lock stays", () => {
    expect(unlockVerdict({ liveness: "alive" }, false).because).toMatch(/still running/);
    expect(unlockVerdict({ liveness: "unknown" }, false).because).toMatch(/another machine/);
  });
});

describe("processSpace", () => {
  it.runIf(process.platform === "linux")("names the boot and the pid namespace, not the hostname", () => {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    expect(processSpace()).toContain(boot);
    expect(processSpace()).toMatch(/pid:\[\d+\]$/);
    expect(currentHolder("r1", new Date(0)).machine).toBe(processSpace());
  });
});
