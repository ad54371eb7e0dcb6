import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import writeFileAtomic from "write-file-atomic";
import type { RunSummary, ServiceSummary } from "../events.js";
import { DIR_MODE, FILE_MODE } from "./file-modes.js";

const PREFIX = "deploy";
const SUCCESS_STATES = new Set(["succeeded", "unchanged"]);

/**
 * Writes a Prometheus textfile-collector file for the run, atomically (node_exporter must never read half a
 * file). Per service and host: the last run's result, its duration, when it finished, and when it last
 * succeeded — carried over from the previous file for services that did not succeed this time or were not
 * part of this run, so a failing cron deploy shows a growing age since the last success.
 */
export async function writeMetricsFile(path: string, summary: RunSummary, project: string): Promise<void> {
  const previous = parseLastSuccess(await readFile(path, "utf8").catch(() => ""));
  await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
  await writeFileAtomic(path, renderMetrics(summary, project, previous), { mode: FILE_MODE });
}

/** Pure: the metrics text for a run summary, given the last-success times already known per (service, host). */
export function renderMetrics(
  summary: RunSummary,
  project: string,
  lastSuccess: Map<string, number>,
): string {
  const finished = Date.parse(summary.finished_at) / 1000;
  const successes = new Map(lastSuccess);
  for (const service of summary.services) {
    if (SUCCESS_STATES.has(service.state)) successes.set(keyOf(service.service, service.host), finished);
  }
  const labels = (service: Pick<ServiceSummary, "service" | "host">) =>
    `project="${escapeLabel(project)}",service="${escapeLabel(service.service)}",host="${escapeLabel(service.host)}"`;
  const lines: string[] = [
    `# HELP ${PREFIX}_last_run_success 1 when the service's last deploy ended succeeded or unchanged, else 0.`,
    `# TYPE ${PREFIX}_last_run_success gauge`,
    ...summary.services.map(
      (s) =>
        `${PREFIX}_last_run_success{${labels(s)},state="${s.state}"} ${SUCCESS_STATES.has(s.state) ? 1 : 0}`,
    ),
    `# HELP ${PREFIX}_last_run_duration_seconds How long the service's last deploy took.`,
    `# TYPE ${PREFIX}_last_run_duration_seconds gauge`,
    ...summary.services.map(
      (s) => `${PREFIX}_last_run_duration_seconds{${labels(s)}} ${((s.duration_ms ?? 0) / 1000).toFixed(3)}`,
    ),
    `# HELP ${PREFIX}_last_run_finished_timestamp_seconds When the service's last deploy finished.`,
    `# TYPE ${PREFIX}_last_run_finished_timestamp_seconds gauge`,
    ...summary.services.map(
      (s) => `${PREFIX}_last_run_finished_timestamp_seconds{${labels(s)}} ${finished.toFixed(3)}`,
    ),
    `# HELP ${PREFIX}_last_success_timestamp_seconds When a deploy of the service last succeeded.`,
    `# TYPE ${PREFIX}_last_success_timestamp_seconds gauge`,
    ...[...successes].map(([key, time]) => {
      const [service = "", host = ""] = key.split("\0");
      return `${PREFIX}_last_success_timestamp_seconds{${labels({ service, host })}} ${time.toFixed(3)}`;
    }),
    `# HELP ${PREFIX}_run_exit_code Exit code of the last deploy run.`,
    `# TYPE ${PREFIX}_run_exit_code gauge`,
    `${PREFIX}_run_exit_code{project="${escapeLabel(project)}"} ${summary.exit_code}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** Pure: the last-success times found in a previous metrics file. */
export function parseLastSuccess(text: string): Map<string, number> {
  const found = new Map<string, number>();
  const pattern = new RegExp(`^${PREFIX}_last_success_timestamp_seconds\\{(.*)\\} (\\S+)$`, "gm");
  for (const [, labelText = "", value] of text.matchAll(pattern)) {
    const service = /service="((?:[^"\\]|\\.)*)"/.exec(labelText)?.[1];
    const host = /host="((?:[^"\\]|\\.)*)"/.exec(labelText)?.[1];
    if (service !== undefined && host !== undefined)
      found.set(keyOf(unescapeLabel(service), unescapeLabel(host)), Number(value));
  }
  return found;
}

function keyOf(service: string, host: string): string {
  return `${service}\0${host}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_match, char: string) => (char === "n" ? "\n" : char));
}
