import type { Dispatcher } from "undici";
import type { ExpectStatus } from "../manifest/types.js";
import { httpClient } from "./http-client.js";
import type { Check, CheckResult } from "./poll.js";

/** Each probe gets its own hard deadline so one hung connection cannot eat the whole gate. */
const PROBE_TIMEOUT_MS = 5000;
const BODY_PREVIEW_CHARS = 200;

export function statusMatches(status: number, expect: ExpectStatus): boolean {
  if (expect === "2xx") return status >= 200 && status < 300;
  if (expect === "3xx") return status >= 300 && status < 400;
  return status === expect;
}

/**
 * GET `url`, passing when the status matches `expect`. Failures carry the status and the start of the body.
 * `dispatcher` carries the request where the URL means something (through an SSH tunnel for a remote host).
 */
export function httpCheck(url: string, expect: ExpectStatus, dispatcher?: Dispatcher): Check {
  return {
    target: `GET ${url}`,
    async attempt(signal: AbortSignal): Promise<CheckResult> {
      const probeSignal = AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]);
      try {
        const { request } = await httpClient();
        const response = await request(url, {
          method: "GET",
          signal: probeSignal,
          headersTimeout: PROBE_TIMEOUT_MS,
          ...(dispatcher ? { dispatcher } : {}),
        });
        const body = await response.body.text();
        if (statusMatches(response.statusCode, expect)) {
          return { ok: true, detail: `GET ${url} answered ${response.statusCode}` };
        }
        const preview = body.replace(/\s+/g, " ").trim().slice(0, BODY_PREVIEW_CHARS);
        return {
          ok: false,
          detail: `GET ${url} answered ${response.statusCode} (expected ${expect})${preview ? `: ${preview}` : ""}`,
        };
      } catch (error) {
        signal.throwIfAborted();
        return { ok: false, detail: `GET ${url} failed: ${describeNetworkError(error)}` };
      }
    },
  };
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
  if (error.name === "TimeoutError" || error.name === "AbortError")
    return `no answer within ${PROBE_TIMEOUT_MS} ms`;
  return code ? `${code} ${error.message}` : error.message;
}
