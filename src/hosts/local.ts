import { readFile, stat } from "node:fs/promises";
import { connectEngine, type EngineOptions } from "../docker/engine.js";
import type { HostSpec } from "../manifest/types.js";
import type { HostConnection } from "./pool.js";

/** Where the local engine listens: the host's docker_socket, else DOCKER_HOST, else the default socket. */
export function localEngineOptions(host: HostSpec, env: NodeJS.ProcessEnv = process.env): EngineOptions {
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
  const engine = connectEngine(options);
  try {
    await engine.ping();
  } catch (error) {
    const socket = options.socketPath;
    const group = socket && isErrno(error, "EACCES") ? await groupOf(socket) : undefined;
    throw new Error(unreachableMessage(error, socket ?? `${options.host}:${options.port}`, group));
  }
  return { engine, close: async () => undefined };
}

/**
 * Pure: why the local engine does not answer, in the words that lead to the fix. Permission denied on its
 * socket is not a dead engine: it is this user's missing membership of the socket's group.
 */
export function unreachableMessage(error: unknown, where: string, group = "docker"): string {
  const detail = error instanceof Error ? error.message : String(error);
  if (isErrno(error, "EACCES") && group === "root") {
    return `permission denied on ${where} (${detail}): only root may use it: run as root, or give it a docker group`;
  }
  if (isErrno(error, "EACCES")) {
    return (
      `permission denied on ${where} (${detail}): add this user to the ${group} group ` +
      `(sudo usermod -aG ${group} $USER, then log in again) or run as root`
    );
  }
  if (isErrno(error, "ENOENT")) {
    return `no Docker socket at ${where} (${detail}): is dockerd running? (else set docker_socket or DOCKER_HOST)`;
  }
  return `the Docker engine at ${where} does not answer (${detail}); is dockerd running?`;
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}

/** The name of the group owning `path`, from /etc/group; undefined when it cannot be told. */
async function groupOf(path: string): Promise<string | undefined> {
  try {
    const { gid } = await stat(path);
    const groups = await readFile("/etc/group", "utf8");
    return groups
      .split("\n")
      .map((line) => line.split(":"))
      .find((fields) => fields[2] === String(gid))?.[0];
  } catch {
    return undefined;
  }
}
