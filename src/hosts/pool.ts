import { availableParallelism } from "node:os";
import pLimit from "p-limit";
import type { Dispatcher } from "undici";
import type { Engine } from "../docker/engine.js";
import { errorMessage, PhaseError } from "../errors.js";
import type { HostSpec } from "../manifest/types.js";

export interface HostConnection {
  engine: Engine;
  /** Carries health probes to URLs as seen from the host (through the SSH connection for remote hosts). */
  httpDispatcher?: Dispatcher;
  close(): Promise<void>;
}

/** One connection per host for the whole run, opened on first use; per-host build limits. */
export class HostPool {
  readonly #connections = new Map<string, Promise<HostConnection>>();
  readonly #buildLimits = new Map<string, ReturnType<typeof pLimit>>();

  constructor(private readonly connect: (host: HostSpec) => Promise<HostConnection>) {}

  async engine(host: HostSpec): Promise<Engine> {
    return (await this.connection(host)).engine;
  }

  async connection(host: HostSpec): Promise<HostConnection> {
    let connection = this.#connections.get(host.name);
    if (!connection) {
      connection = this.connect(host).catch((error: unknown) => {
        throw new PhaseError("connect", `cannot reach host ${host.name}: ${errorMessage(error)}`, {
          cause: error,
        });
      });
      this.#connections.set(host.name, connection);
    }
    return connection;
  }

  buildSlot<T>(host: HostSpec, work: () => Promise<T>): Promise<T> {
    let limit = this.#buildLimits.get(host.name);
    if (!limit) {
      // The engine queues and shares its CPUs itself; holding builds back here only delays the last ones (measured:
      // with 2 × CPUs, two of six services waited 3 s for a slot). The bound guards against hundreds at once.
      limit = pLimit(host.maxBuilds ?? Math.max(8, 4 * availableParallelism()));
      this.#buildLimits.set(host.name, limit);
    }
    return limit(work);
  }

  async closeAll(): Promise<void> {
    const connections = await Promise.allSettled(this.#connections.values());
    for (const connection of connections) {
      if (connection.status === "fulfilled") await connection.value.close().catch(() => undefined);
    }
  }
}
