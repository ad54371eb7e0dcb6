import { describe, expect, it } from "vitest";
import { statusMatches } from "../../src/health/http-check.js";
import { type Check, type CheckResult, poll } from "../../src/health/poll.js";
import { FakeClock } from "./support/fake-clock.js";

/** A check that answers from a script, one entry per attempt (the last one repeats). */
function scripted(results: CheckResult[]): Check & { calls: number } {
  const check = {
    target: "GET http://x/health",
    calls: 0,
    async attempt(): Promise<CheckResult> {
      const result = results[Math.min(check.calls, results.length - 1)] as CheckResult;
      check.calls += 1;
      return result;
    },
  };
  return check;
}

describe("poll", () => {
  it("passes on the first good answer, sleeping one interval between attempts", async () => {
    const clock = new FakeClock(0);
    const check = scripted([
      { ok: false, detail: "ECONNREFUSED" },
      { ok: false, detail: "503" },
      { ok: true, detail: "200" },
    ]);
    const result = await poll(check, { intervalMs: 500, timeoutMs: 10_000, clock });
    expect(result).toEqual({ ok: true, attempts: 3, elapsedMs: 1000, detail: "200" });
  });

  it("gives up when the next attempt would pass the timeout, keeping the last failure", async () => {
    const clock = new FakeClock(0);
    const check = scripted([{ ok: false, detail: "answered 404" }]);
    const result = await poll(check, { intervalMs: 1000, timeoutMs: 5000, clock });
    expect(result).toEqual({ ok: false, attempts: 6, elapsedMs: 5000, detail: "answered 404", fatal: false });
  });

  it("counts the timeout after the start period", async () => {
    const clock = new FakeClock(0);
    const check = scripted([{ ok: false, detail: "booting" }]);
    const result = await poll(check, { intervalMs: 1000, timeoutMs: 2000, startPeriodMs: 3000, clock });
    expect(result.ok).toBe(false);
    expect(result.elapsedMs).toBe(5000);
  });

  it("stops at once on a fatal failure", async () => {
    const clock = new FakeClock(0);
    const check = scripted([
      { ok: false, detail: "503" },
      { ok: false, detail: "exited with code 1", fatal: true },
    ]);
    const result = await poll(check, { intervalMs: 1000, timeoutMs: 60_000, clock });
    expect(result).toEqual({
      ok: false,
      attempts: 2,
      elapsedMs: 1000,
      detail: "exited with code 1",
      fatal: true,
    });
  });

  it("turns a throwing attempt into a failed one and reports every attempt", async () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    let calls = 0;
    const check: Check = {
      target: "t",
      attempt: async () => {
        calls += 1;
        if (calls === 1) throw new Error("socket hang up");
        return { ok: true, detail: "ok" };
      },
    };
    const result = await poll(check, {
      intervalMs: 100,
      timeoutMs: 1000,
      clock,
      onAttempt: (attempt) => seen.push(attempt.detail),
    });
    expect(result.ok).toBe(true);
    expect(seen).toEqual(["socket hang up", "ok"]);
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      poll(scripted([{ ok: false, detail: "x" }]), {
        intervalMs: 100,
        timeoutMs: 1000,
        clock: new FakeClock(),
        signal: controller.signal,
      }),
    ).rejects.toThrow();
  });
});

describe("statusMatches", () => {
  it.each([
    [200, 200, true],
    [204, 200, false],
    [204, "2xx", true],
    [301, "2xx", false],
    [302, "3xx", true],
  ] as const)("%s against %s is %s", (status, expect_, matches) => {
    expect(statusMatches(status, expect_)).toBe(matches);
  });
});
