import {
  Agent,
  type AgentOptions,
  type ClientRequest,
  type ClientRequestArgs,
  type IncomingMessage,
} from "node:http";
import type { Duplex } from "node:stream";
import { inspect } from "node:util";
import { ChannelLimiter } from "./limiter.js";

/** Every Docker API call but the long-lived ones (builds, followed logs, waits) must answer within this. */
export const CALL_TIMEOUT_MS = 120_000;
/**
 * Long-lived requests may hold at most this many channels, so short calls and probes always find one (even
 * through dial-stdio, whose sessions sshd bounds at 10 by default). As many as the smallest default build limit
 * (8): with 4, the builds of a six-service deploy queued for channels (measured: 1.4× the local deploy's time).
 */
export const STREAM_CHANNELS = 8;
/** Channels long-lived requests leave to short calls and probes, however small the connection's limit. */
const SHORT_CALL_CHANNELS = 2;

/** Requests that legitimately last as long as their work: no deadline, and their own share of channels. */
const LONG_LIVED = [
  /^\/(v[\d.]+\/)?(build|events|session)(\?|$)/,
  /^\/(v[\d.]+\/)?images\/(create|load|get)(\?|$)/,
  /^\/(v[\d.]+\/)?images\/.+\/(get|push)(\?|$)/,
  /^\/(v[\d.]+\/)?containers\/[^/]+\/(attach|wait|stats|export|archive)(\?|$)/,
  /^\/(v[\d.]+\/)?containers\/[^/]+\/logs\?(.*&)?follow=(1|true)/,
  /^\/(v[\d.]+\/)?exec\/[^/]+\/start(\?|$)/,
];

export function isLongLived(path: string): boolean {
  return LONG_LIVED.some((pattern) => pattern.test(path));
}

type AddRequest = (this: Agent, req: ClientRequest, options: ClientRequestArgs) => void;
const baseAddRequest = (Agent.prototype as unknown as { addRequest: AddRequest }).addRequest;

interface ChannelAgentOptions {
  open: () => Promise<Duplex>;
  /** The connection's limiter, shared with everything else that opens channels on it. */
  limiter: ChannelLimiter;
  /** This agent's own share of it. */
  maxSockets: number;
}

/**
 * An http.Agent whose sockets are SSH channels to the remote engine, kept alive between requests. An idle one
 * is given up as soon as anything else on the connection waits for a channel. node:http counts a socket
 * against its limits only once it exists, and channels open asynchronously: the count includes channels being
 * opened, and a limiter of the agent's own makes its share a hard bound.
 */
class ChannelAgent extends Agent {
  readonly #own: ChannelLimiter;

  constructor(private readonly channels: ChannelAgentOptions) {
    const max = channels.maxSockets;
    super({ keepAlive: true, maxSockets: max, maxTotalSockets: max, maxFreeSockets: max });
    this.#own = new ChannelLimiter(channels.maxSockets);
    for (const limiter of [channels.limiter, this.#own]) limiter.addReclaimer(() => this.reclaimIdle());
  }

  override createConnection(
    _options: ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): undefined {
    // Count the channel while it opens, so that node:http queues requests beyond the share (and hands them
    // sockets as they come free) instead of asking for more channels; it counts the socket itself once given.
    const self = this as unknown as { totalSocketCount: number };
    self.totalSocketCount++;
    this.#open().then(
      (socket) => {
        self.totalSocketCount--;
        callback?.(null, socket);
      },
      (error: Error) => {
        self.totalSocketCount--;
        callback?.(error, undefined as unknown as Duplex);
      },
    );
    return undefined;
  }

  /**
   * docker-modem runs `util.inspect(options, { showHidden: true, depth: null })` on every request, whether
   * its debug output is on or not, and the options hold this agent: without this, every API call would walk
   * the agent's sockets, their SSH channels and the whole ssh2 client (tens of ms per call).
   */
  [inspect.custom](): string {
    return `ChannelAgent(${this.channels.maxSockets} channels)`;
  }

  /** Keep an idle channel for the next request, unless something waits for a channel: then give it up. */
  override keepSocketAlive(): boolean {
    return this.channels.limiter.waiting === 0 && this.#own.waiting === 0;
  }

  async #open(): Promise<Duplex> {
    const release = await this.#own.acquire();
    try {
      const socket = await this.channels.open();
      socket.once("close", release);
      return socket;
    } catch (error) {
      release();
      throw error;
    }
  }

  reclaimIdle(): boolean {
    for (const sockets of Object.values(this.freeSockets)) {
      const socket = sockets?.[0];
      if (socket) {
        socket.destroy();
        return true;
      }
    }
    return false;
  }
}

/**
 * The agent dockerode is given for an SSH host. Short calls share it (with a deadline each); long-lived
 * requests go to an inner agent that holds at most STREAM_CHANNELS channels, and always leaves two to the
 * rest.
 */
export class DockerChannelAgent extends ChannelAgent {
  readonly #streams: ChannelAgent;

  constructor(
    open: () => Promise<Duplex>,
    limiter: ChannelLimiter,
    private readonly lostReason: () => Error | null,
    private readonly callTimeoutMs = CALL_TIMEOUT_MS,
    options: AgentOptions = {},
  ) {
    super({ open, limiter, maxSockets: options.maxSockets ?? limiter.max });
    const streams = Math.max(1, Math.min(STREAM_CHANNELS, limiter.max - SHORT_CALL_CHANNELS));
    this.#streams = new ChannelAgent({ open, limiter, maxSockets: streams });
  }

  addRequest(req: ClientRequest, options: ClientRequestArgs): void {
    req.once("response", (response: IncomingMessage) =>
      explainAbort(req, response, () => this.lostReason()?.message ?? "the SSH channel closed"),
    );
    if (isLongLived(req.path)) {
      baseAddRequest.call(this.#streams, req, options);
      return;
    }
    const seconds = Math.round(this.callTimeoutMs / 1000);
    const timer = setTimeout(() => {
      req.destroy(
        new Error(`the Docker engine did not answer ${req.method} ${req.path} within ${seconds} s`),
      );
    }, this.callTimeoutMs);
    timer.unref();
    req.once("close", () => clearTimeout(timer));
    baseAddRequest.call(this, req, options);
  }

  override destroy(): void {
    this.#streams.destroy();
    super.destroy();
  }
}

/**
 * node:http ends a response cut short by its socket with a bare "aborted". Say what was cut short, and why when
 * it is known (the SSH connection was lost).
 */
function explainAbort(req: ClientRequest, response: IncomingMessage, why: () => string): void {
  const destroy = response.destroy.bind(response);
  response.destroy = (error?: Error) => {
    if (error?.message !== "aborted") return destroy(error);
    const cutShort = new Error(`the answer to ${req.method} ${req.path} was cut short: ${why()}`, {
      cause: error,
    });
    return destroy(cutShort);
  };
}
