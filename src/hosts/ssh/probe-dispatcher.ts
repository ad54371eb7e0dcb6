import { isIP, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { Agent, type Dispatcher } from "undici";

/**
 * Idle probe connections hold a channel of the connection; give them up soon (probes come every second or so,
 * and opening a channel costs one round trip).
 */
const PROBE_KEEP_ALIVE_MS = 1000;

/**
 * An undici Dispatcher that carries HTTP(S) requests to URLs as seen from the remote host: every connection is
 * a `direct-tcpip` channel of the host's SSH connection to the URL's host and port.
 */
export function probeDispatcher(openTcp: (host: string, port: number) => Promise<Duplex>): Dispatcher {
  return new Agent({
    keepAliveTimeout: PROBE_KEEP_ALIVE_MS,
    keepAliveMaxTimeout: PROBE_KEEP_ALIVE_MS,
    connect: (options, callback) => {
      const https = options.protocol === "https:";
      const host = options.hostname.replace(/^\[(.*)\]$/, "$1");
      const port = Number(options.port) || (https ? 443 : 80);
      openTcp(host, port).then(
        (channel) => {
          if (!https) {
            callback(null, channel as Socket);
            return;
          }
          const tls = tlsConnect({
            socket: channel,
            ...(isIP(host) ? {} : { servername: options.servername || host }), // SNI takes names only
            ALPNProtocols: ["http/1.1"],
          });
          const failed = (error: Error) => callback(error, null);
          tls.once("error", failed);
          tls.once("secureConnect", () => {
            tls.off("error", failed); // from here on, undici listens for errors itself
            callback(null, tls);
          });
        },
        (error: Error) => callback(error, null),
      );
    },
  });
}
