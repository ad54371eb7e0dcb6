import type { ContainerState } from "../docker/engine.js";
import { routesOf } from "../docker/specs.js";
import { errorMessage } from "../errors.js";
import type { StatusRecord } from "../events.js";
import { directHealthUrl } from "../health/url.js";
import { asideNamePrefix, containerName, LABEL, proxyNetwork, upstreamAlias } from "../labels.js";
import { applyProxyChange } from "../proxy/proxy.js";
import {
  gateNewContainer,
  type PreparedContainer,
  prepareContainer,
  type ReplaceContext,
} from "./replace.js";

/** How long the old container keeps answering what it already accepted, once the proxy sends nothing new. */
export const DRAIN_MS = 1000;

/**
 * Zero-downtime cutover behind the host's proxy: the new container starts beside the old one (it publishes no
 * port), is probed directly, and only once healthy does the proxy switch to it; the old one is drained, then
 * stopped with its own stop signal and grace period. A failed gate never touches the proxy. A service moving
 * onto the proxy pauses only while its old container frees the host ports and the proxy takes them.
 */
export async function proxyCutover(
  ctx: ReplaceContext,
  previous: ContainerState | null,
  prepared?: Promise<PreparedContainer>,
): Promise<StatusRecord> {
  const { engine, inputs, tracker, clock } = ctx;
  const { service } = inputs;
  const name = containerName(inputs.project, service.name);
  tracker.enter("deploying");
  const serving = {
    container_id: previous?.id ?? null,
    live_image: previous?.image ?? null,
    live_commit: previous?.labels[LABEL.commit] ?? null,
  };
  const gaveUp = (phase: "deploy" | "health" | "interrupted", message: string) =>
    tracker.fail(previous ? "rolled_back" : "failed", phase, message, serving);

  const created = await (prepared ?? prepareContainer(engine, inputs, previous));
  if (!created.ok) return gaveUp("deploy", created.message);
  const newId = created.id;
  const discard = () => engine.remove(newId).catch(() => undefined);

  try {
    await engine.start(newId);
  } catch (error) {
    await discard();
    return gaveUp("deploy", `could not start the new container: ${errorMessage(error)}`);
  }
  tracker.log("deploy", `started container ${newId.slice(0, 12)} from ${inputs.image} beside the old one`);
  tracker.enter("checking", { container_id: newId });

  const address = (await engine.inspectContainer(newId))?.addresses[proxyNetwork(inputs.project)];
  const health = service.health;
  const direct = health.kind === "http" && address ? directHealthUrl(service, health, address) : undefined;
  const gate = await gateNewContainer(ctx, newId, direct);
  if (!gate.ok) {
    await discard();
    const note = previous ? "; the proxy still sends traffic to the previous container" : "";
    return gaveUp("interrupted" in gate ? "interrupted" : "health", `${gate.message}${note}`);
  }

  // From here on the switch runs to its end, Ctrl-C or not: it is short, and half of it would serve nothing.
  const movingOnto = previous !== null && previous.labels[LABEL.proxyUpstream] === undefined;
  const outageStart = clock.now();
  if (movingOnto && previous) {
    tracker.log("deploy", `stopping ${previous.id.slice(0, 12)}: the proxy takes over its host ports`);
    await engine.stop(previous.id);
  }
  const asideName = `${asideNamePrefix(name)}${inputs.runId}`;
  try {
    const done = await applyProxyChange(engine, inputs.project, ctx.host, {
      service: service.name,
      upstream: {
        service: service.name,
        alias: upstreamAlias(service.name, inputs.runId),
        routes: routesOf(service),
      },
      afterSwitch: async () => {
        if (!previous) return; // a first container was created under the service's name
        await engine.rename(previous.id, asideName);
        await engine.rename(newId, name);
      },
    });
    tracker.log("deploy", `${done}: ${service.name} now served by ${newId.slice(0, 12)}`);
  } catch (error) {
    await discard();
    if (movingOnto && previous) {
      await applyProxyChange(engine, inputs.project, ctx.host, { service: service.name, upstream: null })
        .then(() => engine.start(previous.id))
        .catch(() => undefined);
    }
    return gaveUp("deploy", `switching the proxy failed: ${errorMessage(error)}`);
  }
  const downtime = movingOnto ? clock.now() - outageStart : 0;

  if (previous) {
    if (!movingOnto) {
      await clock.sleep(DRAIN_MS);
      tracker.log("deploy", `drained; stopping previous container ${previous.id.slice(0, 12)}`);
      await engine.stop(previous.id);
    }
    await engine.remove(previous.id);
  }
  return tracker.finish("succeeded", {
    container_id: newId,
    live_image: inputs.image,
    live_commit: inputs.commit,
    downtime_ms: previous ? downtime : null,
    reason: previous
      ? `switched the proxy from ${previous.image}; ${movingOnto ? `not serving for ${downtime} ms` : "no downtime"}`
      : "first deploy, behind the proxy",
  });
}
