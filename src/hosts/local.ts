import Dockerode from "dockerode";
import { Engine } from "../docker/engine.js";
import type { HostSpec } from "../manifest/types.js";
import type { HostConnection } from "./pool.js";

/** Where the local engine listens: the host's docker_socket, else DOCKER_HOST, else the default socket. */
export function localEngineOptions(
  host: HostSpec,
  env: NodeJS.ProcessEnv = process.env,
): Dockerode.DockerOptions {
  if (host.dockerSocket) return { socketPath: host.dockerSocket };
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost?.startsWith("unix://")) return { socketPath: dockerHost.slice("unix://".length) };
  if (dockerHost?.startsWith("tcp://")) {
    const url = new URL(dockerHost);
    return { host: url.hostname, port: Number(url.port || 2375), protocol: "http" };
  }
  return { socketPath: "/var/run/docker.sock" };
}

/** Connects to the local engine and checks that it answers, so a dead engine fails in phase `connect`. */
export async function connectLocal(host: HostSpec): Promise<HostConnection> {
  const options = localEngineOptions(host);
  const engine = new Engine(new Dockerode(options));
  try {
    await engine.ping();
  } catch (error) {
    const where = options.socketPath ?? `${options.host}:${options.port}`;
    throw new Error(
      `the Docker engine at ${where} does not answer (${(error as Error).message}); is dockerd running?`,
    );
  }
  return { engine, close: async () => undefined };
}
