import { setTimeout as delay } from "node:timers/promises";
import { errorMessage } from "../errors.js";
import type { RunSummary } from "../events.js";
import { httpClient } from "../health/http-client.js";

export interface NotifySpec {
  webhook: string;
  on: Array<"failure" | "success">;
  timeoutMs?: number;
}

export interface NotifyOptions {
  timeoutMs?: number;
  retries?: number;
  /** Milliseconds before the first retry; doubled for each further one. */
  backoffMs?: number;
}

/**
 * The webhook as it may be printed: scheme and host only. Its path is often the credential itself (Slack-style
 * hooks), and its user info always is.
 */
export function webhookOrigin(url: string): string {
  if (!URL.canParse(url)) return "the webhook";
  const { protocol, host } = new URL(url);
  return `${protocol}//${host}`;
}

/** Whether a run's summary is sent: on failure (exit code not 0) and/or on success, as the manifest asks. */
export function shouldNotify(spec: NotifySpec, summary: RunSummary): boolean {
  return spec.on.includes(summary.exit_code === 0 ? "success" : "failure");
}

/**
 * Posts the run summary (already redacted, failures first) as JSON, with a timeout per attempt and a few
 * retries. Resolves to null when delivered, else the reason — it never throws: a notification that fails is
 * reported and must never change the deploy's result or exit code.
 */
export async function sendNotification(
  url: string,
  summary: RunSummary,
  options: NotifyOptions = {},
): Promise<string | null> {
  const { timeoutMs = 10_000, retries = 2, backoffMs = 500 } = options;
  const body = JSON.stringify({ ...summary, services: failuresFirst(summary) });
  let lastError = "";
  let attempts = 0;
  for (let attempt = 0; attempt <= retries; attempt++) {
    attempts += 1;
    if (attempt > 0) await delay(backoffMs * 2 ** (attempt - 1));
    try {
      const { request } = await httpClient();
      const response = await request(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "deploy-orchestrator" },
        body,
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await response.body.dump();
      if (response.statusCode < 300) return null;
      lastError = `the webhook answered ${response.statusCode}`;
      if (response.statusCode < 500 && response.statusCode !== 429) break; // a client error will not heal
    } catch (error) {
      lastError =
        (error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : errorMessage(error);
    }
  }
  return `${lastError} (after ${attempts} attempt${attempts === 1 ? "" : "s"})`;
}

function failuresFirst(summary: RunSummary): RunSummary["services"] {
  const rank = (state: string) =>
    state === "failed" || state === "rolled_back" ? 0 : state === "skipped" ? 1 : 2;
  return [...summary.services].sort((a, b) => rank(a.state) - rank(b.state));
}
