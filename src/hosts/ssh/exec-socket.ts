import { Duplex } from "node:stream";
import type { ClientChannel } from "ssh2";

/**
 * A `docker system dial-stdio` exec channel as a socket. The remote end's stdout can close before its exit
 * status arrives, so the end of the stream waits for the exit status: zero ends it; anything else destroys
 * it with the command's stderr, so the request on it fails with the reason rather than "socket hang up".
 */
export class ExecSocket extends Duplex {
  #stderr = "";
  #eof = false;
  #exit: { code: number | null; signal?: string } | null = null;

  constructor(private readonly channel: ClientChannel) {
    super();
    channel.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) channel.pause();
    });
    channel.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-2000);
    });
    channel.on("end", () => {
      this.#eof = true;
      this.#settle();
    });
    channel.on("exit", (code: number | null, signal?: string) => {
      this.#exit = { code, ...(signal ? { signal } : {}) };
      this.#settle();
    });
    channel.on("close", () => {
      this.#exit ??= { code: 0 };
      this.#eof = true;
      this.#settle();
    });
    channel.on("error", (error: Error) => this.destroy(error));
  }

  override _read(): void {
    this.channel.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.channel.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.channel.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    closeQuietly(() => this.channel.destroy());
    callback(error);
  }

  #settle(): void {
    if (this.destroyed || this.readableEnded || !this.#exit) return;
    const { code, signal } = this.#exit;
    if (code === 0) {
      if (this.#eof) this.push(null);
      return;
    }
    const why = this.#stderr.trim() || (signal ? `killed by ${signal}` : "no message");
    this.destroy(new Error(`\`docker system dial-stdio\` on the host exited with ${code ?? signal}: ${why}`));
  }
}

/** Asks sshd to close a channel; on a connection already gone, ssh2 throws: there is nothing left to close. */
export function closeQuietly(close: () => unknown): void {
  try {
    close();
  } catch {
    // the connection is gone, and the channel with it
  }
}
