import { request } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { describeConnectError } from "../../src/hosts/ssh/describe.js";
import { DockerChannelAgent, isLongLived } from "../../src/hosts/ssh/docker-agent.js";
import { ChannelLimiter } from "../../src/hosts/ssh/limiter.js";

describe("ChannelLimiter", () => {
  it("grants up to its limit at once and queues the rest, first come first served", async () => {
    const limiter = new ChannelLimiter(2);
    const first = await limiter.acquire();
    const second = await limiter.acquire();
    const order: string[] = [];
    const third = limiter.acquire().then((release) => {
      order.push("third");
      return release;
    });
    const fourth = limiter.acquire().then((release) => {
      order.push("fourth");
      return release;
    });
    await Promise.resolve();
    expect([limiter.active, limiter.waiting, order]).toEqual([2, 2, []]);
    first();
    first(); // twice is harmless
    await third;
    expect([limiter.active, limiter.waiting, order]).toEqual([2, 1, ["third"]]);
    second();
    (await fourth)();
    (await third)();
    expect([limiter.active, limiter.waiting, order]).toEqual([0, 0, ["third", "fourth"]]);
  });

  it("asks its reclaimers for an idle channel when a request has to wait", async () => {
    const limiter = new ChannelLimiter(1);
    const idle = await limiter.acquire();
    const asked: string[] = [];
    limiter.addReclaimer(() => {
      asked.push("empty");
      return false;
    });
    limiter.addReclaimer(() => {
      asked.push("idle");
      idle(); // closing the idle channel gives its slot back
      return true;
    });
    limiter.addReclaimer(() => {
      asked.push("never");
      return true;
    });
    const release = await limiter.acquire();
    expect(asked).toEqual(["empty", "idle"]);
    release();
  });

  it("fails waiters and later callers once the connection is gone", async () => {
    const limiter = new ChannelLimiter(1);
    await limiter.acquire();
    const waiting = limiter.acquire();
    limiter.fail(new Error("connection lost"));
    await expect(waiting).rejects.toThrow("connection lost");
    await expect(limiter.acquire()).rejects.toThrow("connection lost");
  });

  it("can lower its limit (a server that allows fewer sessions); slots above it drain", async () => {
    const limiter = new ChannelLimiter(3);
    const releases = await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    limiter.lower(1);
    let granted = false;
    const next = limiter.acquire().then((release) => {
      granted = true;
      return release;
    });
    releases[0]?.();
    releases[1]?.();
    await Promise.resolve();
    expect(granted).toBe(false);
    releases[2]?.();
    (await next)();
    expect(limiter.max).toBe(1);
    expect(() => new ChannelLimiter(0)).toThrow(RangeError);
  });
});

describe("isLongLived", () => {
  it.each([
    ["/build?t=x%3A1", true],
    ["/v1.41/build", true],
    ["/images/create?fromImage=busybox", true],
    ["/containers/abc/wait", true],
    ["/containers/abc/logs?stdout=1&follow=true", true],
    ["/containers/abc/logs?follow=1", true],
    ["/containers/abc/logs?stdout=1&follow=false&tail=20", false],
    ["/events?since=1", true],
    ["/exec/abc/start", true],
    ["/_ping", false],
    ["/containers/json?all=1", false],
    ["/containers/abc/stop?t=10", false],
    ["/images/x/json", false],
    ["/buildx", false],
  ])("%s: %s", (path, expected) => {
    expect(isLongLived(path)).toBe(expected);
  });
});

describe("DockerChannelAgent", () => {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  /**
   * An HTTP/1.1 server that answers each request after `delayMs`, counting connections open at once, and an
   * `open` that connects to it holding a limiter slot per connection, as SshChannels does per channel.
   */
  async function engine(delayMs: (path: string) => number, limiter: ChannelLimiter) {
    const stats = { open: 0, peak: 0, connections: 0 };
    const server = createServer((socket: Socket) => {
      sockets.add(socket);
      stats.open++;
      stats.connections++;
      stats.peak = Math.max(stats.peak, stats.open);
      socket.on("close", () => stats.open--);
      let buffer = "";
      socket.on("data", (chunk) => {
        buffer += chunk.toString("latin1");
        for (let end = buffer.indexOf("\r\n\r\n"); end >= 0; end = buffer.indexOf("\r\n\r\n")) {
          const path = buffer.slice(0, end).split(" ")[1] ?? "/";
          buffer = buffer.slice(end + 4);
          setTimeout(() => {
            if (!socket.destroyed)
              socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nOK");
          }, delayMs(path));
        }
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const open = async () => {
      const release = await limiter.acquire();
      const socket = connect(port, "127.0.0.1");
      socket.once("close", release);
      return socket;
    };
    return { stats, open };
  }

  async function get(agent: DockerChannelAgent, path: string, method = "GET"): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request({ host: "docker", port: 80, path, method, agent }, (res) => {
        let body = "";
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve(body));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  }

  it("never holds more channels than the limiter allows, reusing them between requests", async () => {
    const limiter = new ChannelLimiter(3);
    const { stats, open } = await engine(() => 20, limiter);
    const agent = new DockerChannelAgent(open, limiter, () => null);
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(agent, "/_ping")));
    expect(answers).toEqual(Array(12).fill("OK"));
    expect(stats.peak).toBeLessThanOrEqual(3);
    expect(stats.connections).toBeLessThanOrEqual(3);
    agent.destroy();
  });

  it("keeps channels for short calls free while long-lived requests run", async () => {
    const limiter = new ChannelLimiter(5);
    const { open } = await engine((path) => (path.startsWith("/build") ? 400 : 5), limiter);
    const agent = new DockerChannelAgent(open, limiter, () => null);
    const started = Date.now();
    const builds = Array.from({ length: 6 }, () => get(agent, "/build", "POST"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await get(agent, "/containers/x/json");
    expect(Date.now() - started).toBeLessThan(300); // did not wait for a build to finish
    expect(limiter.active).toBeLessThanOrEqual(5);
    await Promise.all(builds);
    agent.destroy();
  });

  it("fails a short call that gets no answer within its deadline, but never a long-lived one", async () => {
    const limiter = new ChannelLimiter(4);
    const { open } = await engine(
      (path) => (path === "/hang" || path.startsWith("/build") ? 300 : 1),
      limiter,
    );
    const agent = new DockerChannelAgent(open, limiter, () => null, 100);
    await expect(get(agent, "/hang")).rejects.toThrow(
      "the Docker engine did not answer GET /hang within 0 s",
    );
    await expect(get(agent, "/build", "POST")).resolves.toBe("OK");
    agent.destroy();
  });

  it("gives up an idle channel when something else waits for one", async () => {
    const limiter = new ChannelLimiter(1);
    const { stats, open } = await engine(() => 1, limiter);
    const agent = new DockerChannelAgent(open, limiter, () => null);
    await get(agent, "/_ping");
    expect(limiter.active).toBe(1); // kept alive for the next call
    const release = await limiter.acquire(); // a probe, say: the idle channel is closed for it
    expect(stats.connections).toBe(1);
    release();
    await get(agent, "/_ping");
    expect(stats.connections).toBe(2);
    agent.destroy();
  });
});

describe("describeConnectError", () => {
  const context = { user: "deploy", host: "10.0.0.2", port: 22, readyTimeoutMs: 20_000, tried: "the key /k" };
  const failure = (message: string, fields: Record<string, string>) =>
    Object.assign(new Error(message), fields);

  it.each([
    [
      failure("connect ECONNREFUSED", { code: "ECONNREFUSED" }),
      "connection refused (is sshd listening on port 22?)",
    ],
    [failure("x", { code: "EHOSTUNREACH" }), "10.0.0.2 is unreachable (EHOSTUNREACH)"],
    [failure("x", { code: "ENOTFOUND" }), "cannot resolve the host name 10.0.0.2 (ENOTFOUND)"],
    [
      failure("Timed out while waiting for handshake", { level: "client-timeout" }),
      "no SSH handshake within 20 s (is 10.0.0.2:22 an sshd, and reachable?)",
    ],
    [
      failure("Keepalive timeout", { level: "client-timeout" }),
      "the host stopped answering keepalives (the network or the host went away)",
    ],
    [
      failure("All configured authentication methods failed", { level: "client-authentication" }),
      "authentication refused for user deploy (tried the key /k): is its public key in ~deploy/.ssh/authorized_keys on the host?",
    ],
  ])("%s", (error, message) => {
    expect(describeConnectError(error, context)).toBe(message);
  });

  it("hints at MaxStartups when sshd closes the connection before the handshake", () => {
    const message = describeConnectError(
      failure("Connection lost before handshake", { level: "protocol" }),
      context,
    );
    expect(message).toMatch(/^sshd closed the connection before the handshake \(.*MaxStartups/);
  });
});
