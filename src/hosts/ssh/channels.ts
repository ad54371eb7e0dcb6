import { Duplex } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { closeQuietly, ExecSocket } from "./exec-socket.js";
import type { ChannelLimiter } from "./limiter.js";

/** How long sshd may take to open (or refuse) a channel before the step fails. */
export const CHANNEL_OPEN_TIMEOUT_MS = 20_000;

/**
 * The fallback when sshd will not forward to the engine's socket: the docker CLI on the host relays stdin/stdout
 * to it. The command is a constant; the socket path travels as the first line of stdin, never through a shell.
 */
export const DIAL_STDIO_COMMAND = `exec sh -c 'read -r socket && exec docker -H "unix://$socket" system dial-stdio'`;

/** A channel sshd refused to open (it answered CHANNEL_OPEN_FAILURE), as opposed to a dead connection. */
export function isOpenRefusal(error: unknown): error is Error & { reason: number | string } {
  return (
    error instanceof Error && "reason" in error && error.message.startsWith("(SSH) Channel open failure")
  );
}

export type DockerTransport = "forward" | "exec";

/**
 * Opens the channels of one SSH connection, each holding a slot of the connection's limiter until it closes.
 * Docker channels reach the engine's socket by stream-local forwarding, or (where sshd refuses that) through
 * `docker system dial-stdio`; TCP channels carry health probes to addresses as seen from the host.
 */
export class SshChannels {
  /** How Docker channels are opened; settled by the first one (see `openDocker`). */
  transport: DockerTransport = "forward";
  readonly #open = new Set<Duplex>();
  #lost: Error | null = null;

  constructor(
    private readonly client: Client,
    private readonly limiter: ChannelLimiter,
    readonly dockerSocket: string,
    private readonly openTimeoutMs = CHANNEL_OPEN_TIMEOUT_MS,
  ) {}

  /**
   * Picks the Docker transport by opening (and closing) one channel: stream-local forwarding when sshd allows
   * it, else dial-stdio. Returns why forwarding was refused, when it was.
   */
  async chooseTransport(): Promise<Error | null> {
    try {
      (await this.openDocker()).destroy();
      return null;
    } catch (error) {
      if (!(error instanceof Error && isOpenRefusal(error.cause))) throw error;
      this.transport = "exec";
      return error;
    }
  }

  get openCount(): number {
    return this.#open.size;
  }

  async openDocker(): Promise<Duplex> {
    try {
      return await this.#withSlot(() =>
        this.transport === "forward"
          ? this.#open_((cb) => this.client.openssh_forwardOutStreamLocal(this.dockerSocket, cb))
          : this.#openDialStdio(),
      );
    } catch (error) {
      if (!isOpenRefusal(error)) throw error;
      const why = error.message.replace(/^\(SSH\) Channel open failure: /, "");
      throw this.transport === "forward"
        ? new Error(
            `sshd refused to forward to the Docker socket ${this.dockerSocket} (${why}): is docker_socket ` +
              "right, may the user open it, and does sshd allow AllowStreamLocalForwarding?",
            { cause: error },
          )
        : new Error(
            `sshd refused a new session (${why}): it limits sessions per connection (MaxSessions, default 10; ` +
              `this tool had ${this.#open.size} open); raise MaxSessions or allow AllowStreamLocalForwarding`,
            { cause: error },
          );
    }
  }

  async openTcp(host: string, port: number): Promise<Duplex> {
    try {
      return await this.#withSlot(() =>
        this.#open_((cb) => this.client.forwardOut("127.0.0.1", 0, host, port, cb)),
      );
    } catch (error) {
      if (!isOpenRefusal(error)) throw error;
      const why = error.message.replace(/^\(SSH\) Channel open failure: /, "");
      const refused = /refused/i.test(why);
      const failure = new Error(
        refused
          ? `connection refused by ${host}:${port} (as seen from the host, through sshd)`
          : `sshd could not open a connection to ${host}:${port} (${why}); does it allow AllowTcpForwarding?`,
        { cause: error },
      );
      if (refused) Object.assign(failure, { code: "ECONNREFUSED" });
      throw failure;
    }
  }

  /** Why the connection is gone, once it is. */
  get lostReason(): Error | null {
    return this.#lost;
  }

  /** The connection is gone: every open channel fails with `error`, and so does every later one. */
  lose(error: Error): void {
    if (this.#lost) return;
    this.#lost = error;
    this.limiter.fail(error);
    // ssh2's own Channel#destroy() is a graceful close that drops the error: fail the stream itself.
    for (const channel of this.#open) Duplex.prototype.destroy.call(channel, error);
  }

  async #withSlot(open: () => Promise<Duplex>, attempt = 1): Promise<Duplex> {
    if (this.#lost) throw this.#lost;
    const release = await this.limiter.acquire();
    let channel: Duplex;
    try {
      channel = await open();
    } catch (error) {
      release();
      // A session refused while others are open: sshd's MaxSessions is below our limit. Wait for one of
      // ours to close and try again, within the lower limit from now on.
      if (this.transport === "exec" && isOpenRefusal(error) && this.#open.size > 0 && attempt < 3) {
        this.limiter.lower(this.#open.size);
        return this.#withSlot(open, attempt + 1);
      }
      throw error;
    }
    if (this.#lost) {
      release();
      channel.destroy();
      throw this.#lost;
    }
    this.#open.add(channel);
    // A channel failed by `lose` may have no user left (an idle or closing one): never an uncaught error.
    channel.on("error", () => undefined);
    channel.once("close", () => {
      this.#open.delete(channel);
      release();
    });
    return asSocket(channel);
  }

  #open_(open: (cb: (error: Error | undefined, channel: ClientChannel) => void) => void): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new Error(`sshd did not open a channel within ${this.openTimeoutMs / 1000} s`));
      }, this.openTimeoutMs);
      try {
        open((error, channel) => {
          if (settled) {
            channel?.destroy();
            return;
          }
          settled = true;
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(channel);
        });
      } catch (error) {
        // ssh2 throws "Not connected" synchronously once the socket is gone.
        settled = true;
        clearTimeout(timer);
        reject(this.#lost ?? error);
      }
    });
  }

  async #openDialStdio(): Promise<Duplex> {
    const channel = (await this.#open_((cb) => this.client.exec(DIAL_STDIO_COMMAND, cb))) as ClientChannel;
    const socket = new ExecSocket(channel);
    socket.write(`${this.dockerSocket}\n`);
    return socket;
  }
}

/**
 * What node:http and undici expect of a socket beyond a Duplex; an SSH channel has no TCP options to set.
 * ssh2's own `Channel#destroy()` only asks sshd to close the channel and emits 'close' once the stream has been
 * read to its end, which never happens when nobody reads any more (an idle keep-alive socket being dropped):
 * here destroy also ends the stream at once, like a socket's, with 'close' emitted exactly once.
 */
function asSocket(channel: Duplex): Duplex {
  const socket = channel as Duplex & Record<string, unknown>;
  const noop = () => socket;
  for (const method of ["setKeepAlive", "setNoDelay", "setTimeout", "ref", "unref"]) socket[method] = noop;
  socket.destroySoon = () => socket.destroy();
  if (channel instanceof ExecSocket) return socket; // a plain Duplex already
  const closeChannel = channel.destroy.bind(channel);
  socket.destroy = (error?: Error) => {
    if (!socket.destroyed) closeQuietly(closeChannel);
    Duplex.prototype.destroy.call(socket, error);
    return socket;
  };
  const emit = socket.emit.bind(socket);
  let closed = false;
  socket.emit = (event: string | symbol, ...args: unknown[]) => {
    if (event === "close") {
      if (closed) return false;
      closed = true;
    }
    return emit(event, ...args);
  };
  return socket;
}
