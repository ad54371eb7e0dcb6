import { availableParallelism } from "node:os";
import type { Dispatcher } from "undici";
import type { Engine } from "../docker/engine.js";
import { errorMessage, PhaseError } from "../errors.js";
import type { HostSpec } from "../manifest/types.js";
import { type BuildClaim, RankedSlots } from "./build-slots.js";

export interface HostConnection {
  engine: Engine;
  /** Carries health probes to URLs as seen from the host (through the SSH connection for remote hosts). */
  httpDispatcher?: Dispatcher;
  close(): Promise<void>;
}

/** One connection per host for the whole run, opened on first use; per-host build limits. */
export class HostPool {
  readonly #connections = new Map<string, Promise<HostConnection>>();
  readonly #buildSlots = new Map<string, RankedSlots>();

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

  /**
   * A target's claim on its host's build slots, by its rank in the plan's start order (see RankedSlots);
   * `waiting` tells whether the target still waits for a dependency of this run.
   *
   * The limit is the host's `max_builds`, else 4 × its engine's CPUs (at least 8). Measured on 2 CPUs: one
   * build per CPU made six cold builds about 20% slower (classic builder); with BuildKit, a limit of 3 made
   * six cold builds about 15% slower. A build spends much of its time waiting on the engine's disk and process
   * work, so running more at once keeps the CPUs busy; the bound only guards against hundreds at once.
   *
   * Builds of targets that wait for a dependency run only while fewer than 2 × CPUs builds run, so that the
   * builds of targets that can start at once (the head of a chain) share the CPUs with fewer others. A six-deep
   * chain on 2 CPUs (bench/, five rounds each) took 0.53× its sequential time with this bound, 0.59× without
   * it, and 0.62× with a bound of 2; six independent services still all build at once. A later sweep (six chain
   * runs per bound, on a machine whose speed drifted) could not tell this bound from none apart (median 5.0 s
   * against 4.9 s); bounds of 2 and 3 measured slower (5.3 s, 5.4 s). The bound is kept as harmless, not as
   * proven.
   */
  claimBuildSlot(host: HostSpec, engine: Engine, rank: number, waiting: () => boolean): BuildClaim {
    let slots = this.#buildSlots.get(host.name);
    if (!slots) {
      slots = new RankedSlots(async () => {
        const cpus = await engine.cpus().catch(() => availableParallelism());
        return { builds: host.maxBuilds ?? Math.max(8, 4 * cpus), whileWaiting: 2 * cpus };
      });
      this.#buildSlots.set(host.name, slots);
    }
    return slots.claim(rank, waiting);
  }

  async closeAll(): Promise<void> {
    const connections = await Promise.allSettled(this.#connections.values());
    for (const connection of connections) {
      if (connection.status === "fulfilled") await connection.value.close().catch(() => undefined);
    }
  }
}
