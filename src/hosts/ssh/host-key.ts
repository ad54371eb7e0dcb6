import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  checkHostKey,
  fingerprint,
  type KnownHostEntry,
  keyTypeOf,
  knownHostName,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
} from "../known-hosts.js";

/** ssh2's host key algorithms, strongest first (the order it uses when nothing is known about the host). */
const HOST_KEY_ALGORITHMS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

export interface HostKeyPolicy {
  host: string;
  port: number;
  /** The known_hosts file (absolute). */
  file: string;
  policy: "strict" | "accept-new";
}

/**
 * Checks the key an SSH server presents against known_hosts, as ssh does with StrictHostKeyChecking `yes`
 * (strict) or `accept-new`: a known key passes; a changed or revoked key never does; an unknown host fails,
 * or with accept-new has its key appended to the file. Why a key was refused is kept for the error message.
 */
export class HostKeyVerifier {
  /** Why the presented key was refused, once it was. */
  refusal: Error | null = null;
  /** The line appended under accept-new, if any. */
  recorded: string | null = null;
  readonly #name: string;

  private constructor(
    private readonly options: HostKeyPolicy,
    private readonly entries: KnownHostEntry[],
  ) {
    this.#name = knownHostName(options.host, options.port);
  }

  static async load(options: HostKeyPolicy): Promise<HostKeyVerifier> {
    let text = "";
    try {
      text = await readFile(options.file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") throw new Error(`cannot read known_hosts ${options.file}: ${code}`);
    }
    return new HostKeyVerifier(options, parseKnownHosts(text));
  }

  /** Host key algorithms to offer: the types known_hosts has for this host first, so a known key is checked. */
  algorithms(): string[] | undefined {
    const known = knownKeyTypes(this.entries, this.#name).flatMap((type) =>
      type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type],
    );
    const first = known.filter((algorithm) => HOST_KEY_ALGORITHMS.includes(algorithm));
    if (first.length === 0) return undefined;
    return [...first, ...HOST_KEY_ALGORITHMS.filter((algorithm) => !first.includes(algorithm))];
  }

  /** ssh2's `hostVerifier` (callback form). */
  verify(key: Buffer, done: (ok: boolean) => void): void {
    const { file, policy } = this.options;
    const got = `${fingerprint(key)} (${keyTypeOf(key)})`;
    const verdict = checkHostKey(this.entries, this.#name, key);
    switch (verdict.kind) {
      case "known":
        done(true);
        return;
      case "revoked":
        this.refuse(`host key ${got} is marked @revoked in ${file}:${verdict.entry.line}`, done);
        return;
      case "mismatch": {
        const expected = verdict.expected
          .map((entry) => `${fingerprint(entry.key)} (${entry.keyType}, ${file}:${entry.line})`)
          .join(" or ");
        this.refuse(
          `host key mismatch: expected ${expected}, got ${got}. Someone may be intercepting the connection, or ` +
            `the host was reinstalled: check the new key, then remove the old one (ssh-keygen -R '${this.#name}' -f ${file})`,
          done,
        );
        return;
      }
      case "unknown":
        if (policy === "accept-new") {
          this.record(key).then(
            () => done(true),
            (error: Error) =>
              this.refuse(`cannot record the new host key ${got} in ${file}: ${error.message}`, done),
          );
          return;
        }
        this.refuse(
          `unknown host key ${got}: ${this.#name} is not in ${file}. Check the fingerprint and add the key ` +
            `(ssh-keyscan -p ${this.options.port} ${this.options.host} >> ${file}), or set host_key_policy: accept-new`,
          done,
        );
    }
  }

  private refuse(message: string, done: (ok: boolean) => void): void {
    this.refusal = new Error(message);
    done(false);
  }

  private async record(key: Buffer): Promise<void> {
    const { file } = this.options;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    let existing = "";
    try {
      existing = await readFile(file, "utf8");
    } catch {
      // a new file
    }
    const line = knownHostsLine(this.#name, key);
    const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
    await appendFile(file, `${separator}${line}\n`, { mode: 0o644 });
    this.recorded = line;
  }
}
