import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectSsh, type SshConnection, type SshOptions } from "../../src/hosts/ssh/connect.js";
import type { HostSpec } from "../../src/manifest/types.js";
import {
  acceptedLogins,
  killSshSessions,
  setLink,
  type TestHost,
  testHostDown,
  testHostUp,
} from "./support/ssh-host.js";

/**
 * The SSH connection itself, against the real sshd and engine of a test host: what happens when it is lost
 * mid-call, when the link dies silently, and how many channels it opens at once.
 */
const HOST_NAME = "e2esshc";
const IMAGE = "e2esshc/slow:latest";
let host: TestHost;
const open: SshConnection[] = [];

function spec(port?: number): HostSpec {
  return {
    name: "remote",
    ssh: { user: host.user, host: host.address, port: port ?? host.sshPort },
    identityFile: host.identityFile,
    knownHosts: host.knownHostsFile,
    hostKeyPolicy: "strict",
    dockerSocket: host.dockerSocket,
  };
}

async function connect(options: SshOptions = {}, port?: number): Promise<SshConnection> {
  const connection = await connectSsh(spec(port), options);
  open.push(connection);
  return connection;
}

/** A build context whose build runs for `seconds` (a long-lived request in flight). */
function slowBuild(seconds: number): Readable {
  const dir = mkdtempSync(join(tmpdir(), "e2esshc-"));
  try {
    writeFileSync(join(dir, "Dockerfile"), `FROM busybox:latest\nRUN sleep ${seconds}\n`);
    return Readable.from([execFileSync("tar", ["-c", "-f", "-", "-C", dir, "Dockerfile"])]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rejects when `work` takes longer than `ms`, so a hang fails the test quickly and says so. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms),
    ),
  ]);
}

beforeAll(async () => {
  host = await testHostUp(HOST_NAME);
});

afterEach(async () => {
  await setLink(host, true);
  await Promise.all(open.splice(0).map((connection) => connection.close()));
});

afterAll(async () => {
  await testHostDown(HOST_NAME); // the engine goes with it, and whatever the tests built
});

describe("an SSH connection", () => {
  it("fails the calls in flight, and every later one, when the connection is lost", async () => {
    const connection = await connect();
    const build = connection.engine.build(slowBuild(30), { t: IMAGE }, () => undefined);
    const ping = (async () => {
      for (;;) await connection.engine.ping();
    })();
    const settled = Promise.allSettled([build, ping]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await killSshSessions(host, host.sshPort)).toBeGreaterThan(0);

    const [built, pinged] = await within(5000, settled);
    const lost = /^(the answer to POST \/build\S* was cut short: )?ssh root@\S+:22: connection lost/;
    expect(built.status === "rejected" && (built.reason as Error).message).toMatch(lost);
    expect(pinged.status === "rejected" && (pinged.reason as Error).message).toMatch(lost);
    await expect(within(1000, connection.engine.ping())).rejects.toThrow(lost);
  });

  it("notices a link that died silently by its keepalives", async () => {
    const connection = await connect({ keepaliveIntervalMs: 500, keepaliveCountMax: 2 });
    await connection.engine.ping();
    await setLink(host, false);
    const started = Date.now();
    const error = await within(8000, connection.engine.containersByPrefix("")).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/connection lost \(the host stopped answering keepalives/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("opens at most 16 channels at once, however many calls are in flight, over one login", async () => {
    const logins = await acceptedLogins(host.sshdLog);
    const connection = await connect();
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, connection.openChannels());
    }, 1);
    const calls = Array.from({ length: 60 }, (_, i) =>
      i % 2 ? connection.engine.containersByPrefix("") : connection.engine.cpus(),
    );
    await within(30_000, Promise.all(calls));
    clearInterval(sampler);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(16);
    expect(await acceptedLogins(host.sshdLog)).toBe(logins + 1);
  });

  it("keeps within sshd's MaxSessions through dial-stdio, even when allowed more channels", async () => {
    const connection = await connect({ channels: 16 }, host.noForwardingPort);
    expect(connection.transport).toBe("exec");
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, connection.openChannels());
    }, 1);
    const calls = Array.from({ length: 40 }, () => connection.engine.containersByPrefix(""));
    // sshd refuses sessions past its MaxSessions (10): the refused calls wait for a session and the
    // connection lowers its limit, so every call still succeeds.
    await within(60_000, Promise.all(calls));
    clearInterval(sampler);
    expect(peak).toBeLessThanOrEqual(10);
    expect(peak).toBeGreaterThan(8);
  });
});
