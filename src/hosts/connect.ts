import type { HostSpec } from "../manifest/types.js";
import { connectLocal } from "./local.js";
import type { HostConnection } from "./pool.js";

/** Opens the run's connection to a host's engine: the local socket, or (for `ssh:` hosts) one SSH connection. */
export async function connectHost(host: HostSpec): Promise<HostConnection> {
  if (host.ssh) {
    throw new Error(`SSH hosts are not supported by this version yet (host ${host.name}, ${host.ssh.host})`);
  }
  return connectLocal(host);
}
