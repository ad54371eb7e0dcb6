import type { Dispatcher } from "undici";
import type { Clock } from "../clock.js";
import type { ContainerState, Engine } from "../docker/engine.js";
import type { ContainerInputs } from "../docker/specs.js";
import { containerCreateOptions, containerNetworks } from "../docker/specs.js";
import { errorMessage } from "../errors.js";
import type { StatusRecord } from "../events.js";
import { httpClient } from "../health/http-client.js";
import { asideNamePrefix, containerName, LABEL, nextName } from "../labels.js";
import type { HostSpec, ServiceSpec } from "../manifest/types.js";
import { applyProxyChange, upstreamOf } from "../proxy/proxy.js";
import { NO_GATE_WINDOW_MS, waitHealthy } from "./gate.js";
import type { TargetTracker } from "./tracker.js";

export interface ReplaceContext {
  engine: Engine;
  host: HostSpec;
  httpDispatcher?: Dispatcher;
  inputs: ContainerInputs;
  tracker: TargetTracker;
  clock: Clock;
  /** Keep a failed new container (and leave the old one stopped) for inspection. */
  noRollback: boolean;
  signal?: AbortSignal;
  /** Called once the new container has started (before its gate): dependents with `service_started` go. */
  onStarted?: () => void;
}

/** The new container of a replace, created and attached to its networks but not started; or why it is not. */
export type PreparedContainer = { ok: true; id: string } | { ok: false; message: string };

/**
 * Creates the new container while the old one still serves (under a temporary name: the old one holds the
 * service's), so that only stop → rename → start falls in the outage. Creating starts nothing, so it may run
 * while the target still waits for its dependencies. A container that cannot be attached is removed again.
 */
export async function prepareContainer(
  engine: Engine,
  inputs: ContainerInputs,
  previous: ContainerState | null,
): Promise<PreparedContainer> {
  const name = containerName(inputs.project, inputs.service.name);
  const networks = containerNetworks(inputs);
  for (const network of networks) await engine.ensureNetwork(network.name, inputs.project);
  let id: string | undefined;
  try {
    id = await engine.createContainer(
      containerCreateOptions(inputs, previous ? nextName(name, inputs.runId) : name),
    );
    for (const network of networks.slice(1)) await engine.connectNetwork(network.name, id, network.aliases);
    return { ok: true, id };
  } catch (error) {
    if (id) await engine.remove(id).catch(() => undefined);
    return { ok: false, message: `could not create the new container: ${errorMessage(error)}` };
  }
}

/**
 * Health-gated cutover: the running container is stopped and renamed aside (it may hold the host port), the
 * new one (from prepareContainer, created now when not given) takes the service's name and must pass the
 * gate; only then is the old one removed. If the new one cannot start, exits, or fails the gate, it is removed
 * and the old one is put back and started.
 */
export async function replaceContainer(
  ctx: ReplaceContext,
  previous: ContainerState | null,
  prepared?: Promise<PreparedContainer>,
): Promise<StatusRecord> {
  const { engine, inputs, tracker, clock } = ctx;
  const name = containerName(inputs.project, inputs.service.name);
  const asideName = `${asideNamePrefix(name)}${inputs.runId}`;
  tracker.enter("deploying");
  void httpClient(); // loaded during the build when there was one; else while the container is created

  const created = await (prepared ?? prepareContainer(engine, inputs, previous));
  if (!created.ok) {
    return tracker.fail("failed", "deploy", created.message, {
      container_id: previous?.id ?? null,
      live_image: previous?.image ?? null,
      live_commit: previous?.labels[LABEL.commit] || null,
    });
  }
  const newId = created.id;

  const outageStart = clock.now();
  try {
    if (previous) {
      tracker.log("deploy", `stopping previous container ${previous.id.slice(0, 12)} (${previous.image})`);
      await engine.stop(previous.id);
      await engine.rename(previous.id, asideName);
      await engine.rename(newId, name);
      // Moving off the proxy: it must give up the host ports the new container publishes.
      if (upstreamOf(previous.labels)) await takeOffProxy(ctx);
    }
    await engine.start(newId);
    tracker.log("deploy", `started container ${newId.slice(0, 12)} from ${inputs.image}`);
    ctx.onStarted?.();
  } catch (error) {
    const message = `could not start the new container: ${errorMessage(error)}`;
    return rollBack(ctx, { newId, previous, name, phase: "deploy", message, outageStart });
  }

  tracker.enter("checking", { container_id: newId });
  const gate = await gateNewContainer(ctx, newId);
  if (!gate.ok) {
    const phase = "interrupted" in gate ? "interrupted" : "health";
    return rollBack(ctx, { newId, previous, name, phase, message: gate.message, outageStart });
  }

  const outageMs = clock.now() - outageStart;
  if (previous) await engine.remove(previous.id);
  if (inputs.service.health.kind === "none") {
    tracker.log("health", `NO HEALTH GATE (health: false): only checked that it is ${gate.detail}`);
  }
  return tracker.finish("succeeded", {
    container_id: newId,
    live_image: inputs.image,
    live_commit: inputs.commit || null,
    downtime_ms: previous ? outageMs : null,
    reason: previous ? `replaced ${previous.image}; not serving for ${outageMs} ms` : "first deploy",
  });
}

/**
 * Holds a just-started container to its service's gate (at `url` when given), logging each change of what the
 * probe sees. Ctrl-C ends it as a failed gate marked `interrupted`, so the caller rolls back as for any failure.
 */
export async function gateNewContainer(
  ctx: ReplaceContext,
  containerId: string,
  url?: string,
): Promise<{ ok: true; detail: string } | { ok: false; message: string; interrupted?: true }> {
  let lastDetail = "";
  return waitHealthy({
    engine: ctx.engine,
    containerId,
    service: ctx.inputs.service,
    ...(url ? { url } : {}),
    httpDispatcher: ctx.httpDispatcher,
    clock: ctx.clock,
    signal: ctx.signal,
    onAttempt: (detail) => {
      // A probe answering the same thing every interval would flood the log: record changes only.
      if (detail !== lastDetail) ctx.tracker.log("health", detail);
      lastDetail = detail;
    },
  }).catch((error: unknown) => {
    if (!ctx.signal?.aborted) throw error;
    return { ok: false as const, message: "interrupted during the health gate", interrupted: true as const };
  });
}

interface Failure {
  newId: string | undefined;
  previous: ContainerState | null;
  name: string;
  phase: "deploy" | "health" | "interrupted";
  message: string;
  /** When the previous container was stopped (the start of the outage). */
  outageStart: number;
}

/** Removes the failed container and puts the previous one back under its name; reports what is left serving. */
async function rollBack(ctx: ReplaceContext, failure: Failure): Promise<StatusRecord> {
  const { engine, tracker } = ctx;
  const { newId, previous, name, phase, message, outageStart } = failure;
  if (ctx.noRollback) {
    tracker.log(
      "deploy",
      "--no-rollback: leaving the failed container and the stopped previous one for inspection",
    );
    return tracker.fail("failed", phase, message, {
      container_id: newId ?? null,
      live_image: null,
      live_commit: null,
    });
  }
  if (newId) await engine.remove(newId).catch(() => undefined);
  if (!previous) {
    return tracker.fail("failed", phase, message, {
      container_id: null,
      live_image: null,
      live_commit: null,
    });
  }
  try {
    await engine.rename(previous.id, name);
    await engine.start(previous.id);
    const upstream = upstreamOf(previous.labels);
    if (upstream) {
      await applyProxyChange(engine, ctx.inputs.project, ctx.host, { service: upstream.service, upstream });
    }
    tracker.log("deploy", `previous container ${previous.id.slice(0, 12)} (${previous.image}) started again`);
  } catch (restoreError) {
    const restore = `; putting the previous container back failed too: ${errorMessage(restoreError)}`;
    return tracker.fail("failed", phase, `${message}${restore}`, {
      container_id: previous.id,
      live_image: null,
      live_commit: null,
    });
  }
  // The old version is back; check it serves again with the same gate, so the status file tells the truth.
  const recheck = ctx.signal?.aborted
    ? { ok: true as const, detail: "not re-checked (interrupted)" }
    : await waitHealthy({
        engine,
        containerId: previous.id,
        service: asPreviouslyDeployed(ctx.inputs.service, previous),
        knownRestarts: previous.restartCount,
        httpDispatcher: ctx.httpDispatcher,
        clock: ctx.clock,
      }).catch((error: unknown) => ({ ok: false as const, message: errorMessage(error) }));
  const downtime = ctx.clock.now() - outageStart;
  const note = recheck.ok
    ? ""
    : `; the previous container runs again but did not pass the health gate: ${recheck.message.split("\n")[0]}`;
  tracker.log("health", recheck.ok ? `previous container serves again: ${recheck.detail}` : note.slice(2));
  return tracker.fail("rolled_back", phase, `${message}${note}`, {
    container_id: previous.id,
    live_image: previous.image,
    live_commit: previous.labels[LABEL.commit] || null,
    downtime_ms: downtime,
  });
}

/**
 * The gate the previous container is re-checked with: the one it passed when it was deployed. The rejected
 * configuration may have moved the port or the path, so an HTTP gate probes the URL recorded on the old
 * container; without that record, the re-check is only that it keeps running.
 */
function asPreviouslyDeployed(service: ServiceSpec, previous: ContainerState): ServiceSpec {
  if (service.health.kind !== "http") return service;
  const url = previous.labels[LABEL.healthUrl];
  if (!url) return { ...service, health: { kind: "running", durationMs: NO_GATE_WINDOW_MS } };
  const { path: _path, port: _port, ...rest } = service.health;
  return { ...service, health: { ...rest, url } };
}

async function takeOffProxy(ctx: ReplaceContext): Promise<void> {
  const { engine, inputs, tracker } = ctx;
  const change = { service: inputs.service.name, upstream: null };
  tracker.log(
    "deploy",
    `${await applyProxyChange(engine, inputs.project, ctx.host, change)}: ${change.service} leaves it`,
  );
}
