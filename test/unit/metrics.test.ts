import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/events.js";
import { parseLastSuccess, renderMetrics, writeMetricsFile } from "../../src/report/metrics.js";

function summary(
  finishedAt: string,
  states: Record<string, RunSummary["services"][number]["state"]>,
): RunSummary {
  return {
    run_id: "r1",
    command: ["deploy", "all"],
    options: {},
    started_at: finishedAt,
    finished_at: finishedAt,
    duration_ms: 1000,
    exit_code: Object.values(states).every((state) => state === "succeeded") ? 0 : 1,
    services: Object.entries(states).map(([service, state]) => ({
      service,
      host: "local",
      state,
      commit: null,
      image: null,
      duration_ms: 2500,
      reason: null,
      error: null,
    })),
  };
}

describe("renderMetrics", () => {
  it("writes result, duration, finish and success times per service", () => {
    const text = renderMetrics(
      summary("2026-11-23T10:00:00.000Z", { api: "succeeded", web: "failed" }),
      "shop",
      new Map(),
    );
    expect(text).toContain(
      'deploy_last_run_success{project="shop",service="api",host="local",state="succeeded"} 1',
    );
    expect(text).toContain(
      'deploy_last_run_success{project="shop",service="web",host="local",state="failed"} 0',
    );
    expect(text).toContain(
      'deploy_last_run_duration_seconds{project="shop",service="api",host="local"} 2.500',
    );
    expect(text).toContain(
      'deploy_last_success_timestamp_seconds{project="shop",service="api",host="local"} 1795428000.000',
    );
    expect(text).not.toContain('deploy_last_success_timestamp_seconds{project="shop",service="web"');
    expect(text).toContain('deploy_run_exit_code{project="shop"} 1');
  });
});

describe("writeMetricsFile", () => {
  it("keeps the last success time of a service that fails later", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "metrics-")), "deploy.prom");
    await writeMetricsFile(path, summary("2026-11-23T10:00:00.000Z", { api: "succeeded" }), "shop");
    await writeMetricsFile(path, summary("2026-11-23T11:00:00.000Z", { api: "failed" }), "shop");
    const text = await readFile(path, "utf8");
    expect(parseLastSuccess(text)).toEqual(new Map([["api\0local", 1795428000]]));
    expect(text).toContain('state="failed"} 0');
  });

  it("reads back escaped label values", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "metrics-")), "deploy.prom");
    await writeFile(path, 'deploy_last_success_timestamp_seconds{project="p",service="a\\"b",host="h"} 12\n');
    expect(parseLastSuccess(await readFile(path, "utf8"))).toEqual(new Map([['a"b\0h', 12]]));
  });
});
