import { homedir } from "node:os";
import { join } from "node:path";
import { Client, type ConnectConfig } from "ssh2";
import type { Dispatcher } from "undici";
import { connectEngine, type EngineOptions } from "../../docker/engine.js";
import { errorMessage } from "../../errors.js";
import type { HostSpec } from "../../manifest/types.js";
import type { HostConnection } from "../pool.js";
import { credentials } from "./auth.js";
import { type DockerTransport, SshChannels } from "./channels.js";
import { describeConnectError } from "./describe.js";
import { DockerChannelAgent } from "./docker-agent.js";
import { HostKeyVerifier } from "./host-key.js";
import { ChannelLimiter } from "./limiter.js";
import { probeDispatcher } from "./probe-dispatcher.js";

export const SSH_DEFAULTS = {
  /**
   * At most this many channels at once. Forwarded channels (stream-local to the engine's socket, TCP for
   * probes) are not sessions: sshd's MaxSessions (default 10) does not bound them. Through `docker system
   * dial-stdio` each call is a session: a refused one waits, and the limit drops to what sshd allowed.
   */
  channels: 16,
  readyTimeoutMs: 20_000,
  keepaliveIntervalMs: 5_000,
  keepaliveCountMax: 3,
  /** The engine must answer its first ping within this. */
  pingTimeoutMs: 30_000,
  callTimeoutMs: 120_000,
};

export interface SshOptions extends Partial<typeof SSH_DEFAULTS> {
  env?: NodeJS.ProcessEnv;
  home?: string;
}

export interface SshConnection extends HostConnection {
  httpDispatcher: Dispatcher;
  /** How Docker API calls reach the engine: stream-local forwarding, or `docker system dial-stdio`. */
  transport: DockerTransport;
  /** Set under accept-new when this connection recorded the host key. */
  recordedHostKey: string | null;
  /** Channels open right now (for tests and the bench). */
  openChannels(): number;
}

/**
 * One SSH connection to a host for the whole run, carrying every Docker API call (an http.Agent whose sockets
 * are channels to the remote engine's socket) and every health probe (an undici Dispatcher whose connections
 * are channels to addresses as seen from the host). Host keys are verified; keepalives detect a dead link, and
 * a lost connection fails every call in flight and every later one. Errors start with `ssh user@host:port:`.
 */
export async function connectSsh(host: HostSpec, options: SshOptions = {}): Promise<SshConnection> {
  const ssh = host.ssh;
  if (!ssh) throw new Error(`host ${host.name} has no ssh address`);
  const settings = { ...SSH_DEFAULTS, ...options };
  const where = `ssh ${ssh.user}@${ssh.host}:${ssh.port}`;
  const env = options.env ?? process.env;
  const home = options.home ?? (env.HOME || homedir());
  const socket = host.dockerSocket ?? "/var/run/docker.sock";
  const fail = (message: string, cause?: unknown): Error => new Error(`${where}: ${message}`, { cause });
  if (!socket.startsWith("/") || /[\n\r\0]/.test(socket) || socket.trim() !== socket) {
    throw fail(`docker_socket must be an absolute path on the host: ${JSON.stringify(socket)}`);
  }

  let tried = "";
  let verifier: HostKeyVerifier | undefined;
  let client: Client;
  try {
    const creds = await credentials(ssh.user, host.identityFile, env, home);
    tried = creds.tried;
    const keys = await HostKeyVerifier.load({
      host: ssh.host,
      port: ssh.port,
      file: host.knownHosts ?? join(home, ".ssh", "known_hosts"),
      policy: host.hostKeyPolicy,
    });
    verifier = keys;
    const serverHostKey = keys.algorithms();
    client = await handshake({
      host: ssh.host,
      port: ssh.port,
      username: ssh.user,
      authHandler: creds.methods,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => keys.verify(key, verify),
      readyTimeout: settings.readyTimeoutMs,
      keepaliveInterval: settings.keepaliveIntervalMs,
      keepaliveCountMax: settings.keepaliveCountMax,
      ...(serverHostKey ? { algorithms: { serverHostKey } } : {}),
    } as ConnectConfig);
  } catch (error) {
    const refusal = verifier?.refusal;
    if (refusal) throw fail(refusal.message, error);
    throw fail(
      describeConnectError(error, { ...ssh, readyTimeoutMs: settings.readyTimeoutMs, tried }),
      error,
    );
  }

  client.setNoDelay(true); // small request/response exchanges: no Nagle delay
  const limiter = new ChannelLimiter(settings.channels);
  const channels = new SshChannels(client, limiter, socket);
  let lastError: string | null = null;
  let closing = false;
  let closed = false;

  const lost = () => {
    const why = closing
      ? "the connection was closed"
      : `connection lost${lastError ? ` (${lastError})` : ""}`;
    channels.lose(fail(why));
  };
  client.on("end", lost);
  // After the handshake every ssh2 error (keepalive timeout, reset, protocol error) ends the connection.
  client.on("error", (error: Error) => {
    lastError = describeConnectError(error, { ...ssh, readyTimeoutMs: settings.readyTimeoutMs, tried }, true);
    lost();
  });
  client.on("close", () => {
    closed = true;
    lost();
  });

  const agent = new DockerChannelAgent(
    () => channels.openDocker(),
    limiter,
    () => channels.lostReason,
    settings.callTimeoutMs,
  );
  // dockerode hands `agent` to docker-modem, which gives it to every http.request (its types omit it).
  const dockerOptions = { protocol: "http", host: "docker", port: 80, agent } as EngineOptions;
  const engine = connectEngine(dockerOptions);
  const httpDispatcher = probeDispatcher((address, port) => channels.openTcp(address, port));
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    agent.destroy();
    channels.lose(fail("the connection was closed")); // whatever is still open fails now, not later
    await withDeadline(httpDispatcher.destroy(), 2000, "").catch(() => undefined);
    if (!closed) await endClient(client);
  };

  try {
    const refused = await channels.chooseTransport();
    await withDeadline(
      engine.ping(),
      settings.pingTimeoutMs,
      `no answer within ${settings.pingTimeoutMs / 1000} s`,
    ).catch((error: unknown) => {
      const why = errorMessage(error).replace(`${where}: `, "");
      throw refused
        ? new Error(
            `${refused.message}; the fallback through \`docker system dial-stdio\` failed too: ${why}`,
          )
        : new Error(`the Docker engine at ${socket} does not answer: ${why}`);
    });
  } catch (error) {
    await close();
    throw fail(errorMessage(error).replace(`${where}: `, ""), error);
  }

  return {
    engine,
    httpDispatcher,
    close,
    transport: channels.transport,
    recordedHostKey: verifier?.recorded ?? null,
    openChannels: () => channels.openCount,
  };
}

function handshake(config: ConnectConfig): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      if (!error) {
        resolve(client);
        return;
      }
      client.end();
      reject(error);
    };
    client.once("ready", () => settle(null));
    client.on("error", (error: Error) => settle(error));
    client.once("close", () => settle(new Error("sshd closed the connection before the handshake")));
    client.connect(config);
  });
}

function endClient(client: Client): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.destroy();
      resolve();
    }, 5000);
    client.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
}

function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
