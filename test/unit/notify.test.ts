import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/events.js";
import { sendNotification, shouldNotify } from "../../src/report/notify.js";

const summary: RunSummary = {
  run_id: "r1",
  command: ["deploy", "all"],
  options: {},
  started_at: "2026-11-23T10:00:00.000Z",
  finished_at: "2026-11-23T10:00:01.000Z",
  duration_ms: 1000,
  exit_code: 1,
  services: [
    {
      service: "ok",
      host: "local",
      state: "succeeded",
      commit: null,
      image: null,
      duration_ms: 1,
      reason: null,
      error: null,
    },
    {
      service: "bad",
      host: "local",
      state: "failed",
      commit: null,
      image: null,
      duration_ms: 1,
      reason: null,
      error: { phase: "build", message: "boom" },
    },
  ],
};

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

async function listen(handler: (req: IncomingMessage, body: string) => number | null): Promise<string> {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const status = handler(req, body);
      if (status !== null) res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

describe("sendNotification", () => {
  it("posts the summary with failures first", async () => {
    const received: unknown[] = [];
    const url = await listen((_req, body) => {
      received.push(JSON.parse(body));
      return 204;
    });
    expect(await sendNotification(url, summary)).toBeNull();
    expect(received).toHaveLength(1);
    expect((received[0] as RunSummary).services.map((service) => service.service)).toEqual(["bad", "ok"]);
  });

  it("retries a server error and then succeeds", async () => {
    let calls = 0;
    const url = await listen(() => (++calls === 1 ? 503 : 200));
    expect(await sendNotification(url, summary, { backoffMs: 1 })).toBeNull();
    expect(calls).toBe(2);
  });

  it("gives up on a webhook that never answers, with the reason", async () => {
    const url = await listen(() => null);
    const failure = await sendNotification(url, summary, { timeoutMs: 200, retries: 1, backoffMs: 1 });
    expect(failure).toBe("no answer within 200 ms (after 2 attempts)");
  });

  it("does not retry a client error", async () => {
    let calls = 0;
    const url = await listen(() => {
      calls += 1;
      return 404;
    });
    expect(await sendNotification(url, summary, { backoffMs: 1 })).toBe(
      "the webhook answered 404 (after 1 attempt)",
    );
    expect(calls).toBe(1);
  });
});

describe("shouldNotify", () => {
  it("follows the on: list", () => {
    expect(shouldNotify({ webhook: "x", on: ["failure"] }, summary)).toBe(true);
    expect(shouldNotify({ webhook: "x", on: ["success"] }, summary)).toBe(false);
    expect(shouldNotify({ webhook: "x", on: ["success"] }, { ...summary, exit_code: 0 })).toBe(true);
  });
});
