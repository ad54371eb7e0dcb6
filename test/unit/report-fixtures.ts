import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { RunSummary, ServiceSummary, StatusRecord, TargetRef } from "../../src/events.js";

export function target(service: string, host = "local", key = service): TargetRef {
  return { service, host, key };
}

export function status(t: TargetRef, overrides: Partial<StatusRecord> = {}): StatusRecord {
  return {
    service: t.service,
    run_id: "run-1",
    state: "pending",
    host: t.host,
    branch: "main",
    ref_kind: null,
    commit: null,
    image: null,
    image_id: null,
    container_id: null,
    previous_image: null,
    previous_image_id: null,
    live_image: null,
    live_commit: null,
    health_gate: "http",
    started_at: "2025-01-01T00:00:00.000Z",
    finished_at: null,
    duration_ms: null,
    downtime_ms: null,
    reason: null,
    error: null,
    ...overrides,
  };
}

export function entry(service: string, overrides: Partial<ServiceSummary> = {}): ServiceSummary {
  return {
    service,
    host: "local",
    state: "succeeded",
    commit: "0123456789abcdef0123456789abcdef01234567",
    image: `${service}:0123456789ab`,
    duration_ms: 4200,
    reason: null,
    error: null,
    ...overrides,
  };
}

export function summary(services: ServiceSummary[], overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    run_id: "run-1",
    command: ["deploy", "all"],
    options: { output: "plain" },
    started_at: "2025-01-01T00:00:00.000Z",
    finished_at: "2025-01-01T00:00:12.300Z",
    duration_ms: 12_300,
    exit_code: services.some((s) => s.state !== "succeeded" && s.state !== "unchanged") ? 1 : 0,
    services,
    ...overrides,
  };
}

/** A stream that keeps everything written to it (and is never a TTY). */
export function capture(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

export async function tempDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "report-test-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A clock that moves one second per call from a fixed instant. */
export function steppingClock(start = Date.parse("2025-01-01T00:00:00.000Z")): () => Date {
  let t = start;
  return () => {
    const now = new Date(t);
    t += 1000;
    return now;
  };
}

export const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;
