import type { HostSpec } from "../manifest/types.js";
import { connectLocal } from "./local.js";
import type { HostConnection } from "./pool.js";
import { connectSsh } from "./ssh/connect.js";

/** Opens the run's connection to a host's engine: the local socket, or (for `ssh:` hosts) one SSH connection. */
export async function connectHost(host: HostSpec): Promise<HostConnection> {
  return host.ssh ? connectSsh(host) : connectLocal(host);
}
