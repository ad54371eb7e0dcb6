import type { HostSpec } from "../manifest/types.js";
import { connectLocal } from "./local.js";
import type { HostConnection } from "./pool.js";

/**
 * Opens the run's connection to a host's engine: the local socket, or (for `ssh:` hosts) one SSH connection.
 * The SSH stack (ssh2 and its crypto) is loaded only when a host needs it: a local-only run starts faster.
 */
export async function connectHost(host: HostSpec): Promise<HostConnection> {
  if (!host.ssh) return connectLocal(host);
  const { connectSsh } = await import("./ssh/connect.js");
  return connectSsh(host);
}
