import { request } from "node:http";

/** What a probe saw: every attempt counts, none is retried (a retry would hide an outage). */
export interface ProbeResult {
  ok: number;
  failed: number;
  /** The first few failures, for assertion messages. */
  errors: string[];
  /** Bodies seen, in order, without repeats in a row (to see the switch from one version to the next). */
  bodies: string[];
}

function once(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * `clients` loops each asking `url` every `intervalMs` (a new connection each time, no retries) until stopped:
 * the outage probe of the zero-downtime tests and bench.
 */
export function startProbe(
  url: string,
  options: { clients?: number; intervalMs?: number; timeoutMs?: number } = {},
): { stop(): Promise<ProbeResult> } {
  const { clients = 3, intervalMs = 30, timeoutMs = 2000 } = options;
  const result: ProbeResult = { ok: 0, failed: 0, errors: [], bodies: [] };
  let running = true;
  const loop = async () => {
    while (running) {
      const started = Date.now();
      try {
        const answer = await once(url, timeoutMs);
        if (answer.status === 200) {
          result.ok++;
          const body = answer.body.trim();
          if (result.bodies.at(-1) !== body) result.bodies.push(body);
        } else {
          result.failed++;
          if (result.errors.length < 5) result.errors.push(`HTTP ${answer.status}`);
        }
      } catch (error) {
        result.failed++;
        if (result.errors.length < 5) result.errors.push((error as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - started))));
    }
  };
  const loops = Array.from({ length: clients }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
