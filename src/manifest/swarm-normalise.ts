import { Secret } from "../secret.js";
import type { WrittenService } from "./schema.js";
import { SWARM_DEFAULTS } from "./swarm-schema.js";
import type { RegistrySpec, ServiceSpec } from "./types.js";
import { durationMs } from "./values.js";

/** The Swarm keys of a service, resolved; absent keys stay absent (so a container service's hashes never move). */
export function swarmFields(written: WrittenService): Pick<ServiceSpec, "replicas" | "placement" | "update"> {
  return {
    ...(written.replicas === undefined ? {} : { replicas: written.replicas }),
    ...(written.placement === undefined ? {} : { placement: written.placement }),
    ...(written.update === undefined
      ? {}
      : {
          update: {
            parallelism: written.update.parallelism ?? SWARM_DEFAULTS.parallelism,
            delayMs: written.update.delay ?? durationMs(SWARM_DEFAULTS.delay),
            order: written.update.order ?? SWARM_DEFAULTS.order,
          },
        }),
  };
}

/** The registry with its password held as a Secret: it is handed to the engine, never shown. */
export function registrySpec(written: { url: string; username?: string; password?: string }): RegistrySpec {
  return {
    url: written.url.replace(/\/+$/, ""),
    ...(written.username === undefined ? {} : { username: written.username }),
    ...(written.password === undefined ? {} : { password: new Secret(written.password) }),
  };
}
