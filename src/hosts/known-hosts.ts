import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * OpenSSH known_hosts, read the way `ssh` reads it: `[marker] patterns keytype base64-key [comment]` per line,
 * where patterns are comma-separated host names with `*`/`?` wildcards and `!` negation, `[host]:port` for a
 * port other than 22, or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. `@revoked` keys are
 * refused; `@cert-authority` lines are skipped (host certificates are not supported).
 */
export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: "revoked" | "cert-authority";
  patterns: string;
  keyType: string;
  /** The key blob, base64 as written. */
  key: string;
}

export type HostKeyVerdict =
  | { kind: "known"; entry: KnownHostEntry }
  /** No key at all is recorded for the host. */
  | { kind: "unknown" }
  /** Keys are recorded for the host, but not this one. */
  | { kind: "mismatch"; expected: KnownHostEntry[] }
  | { kind: "revoked"; entry: KnownHostEntry };

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === "" || fields[0]?.startsWith("#")) return;
    let marker: KnownHostEntry["marker"];
    if (fields[0]?.startsWith("@")) {
      const name = fields.shift();
      if (name !== "@revoked" && name !== "@cert-authority") return; // unknown marker: ssh ignores the line
      marker = name === "@revoked" ? "revoked" : "cert-authority";
    }
    const [patterns, keyType, key] = fields;
    if (!patterns || !keyType || !key || !/^[A-Za-z0-9+/]+=*$/.test(key)) return;
    entries.push({ line: index + 1, ...(marker ? { marker } : {}), patterns, keyType, key });
  });
  return entries;
}

/** The name ssh looks a host up by: `host` on port 22, else `[host]:port`; lowercase, like ssh. */
export function knownHostName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** Whether an entry's host patterns (or its hashed name) cover `name` (from knownHostName). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.patterns.startsWith("|1|")) return hashedMatches(entry.patterns, name);
  let matched = false;
  for (const pattern of entry.patterns.split(",")) {
    const negated = pattern.startsWith("!");
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

export function checkHostKey(entries: KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  const written = key.toString("base64");
  const forHost = entries.filter((entry) => entry.marker !== "cert-authority" && entryMatches(entry, name));
  const revoked = forHost.find((entry) => entry.marker === "revoked" && entry.key === written);
  if (revoked) return { kind: "revoked", entry: revoked };
  const plain = forHost.filter((entry) => entry.marker === undefined);
  const known = plain.find((entry) => entry.key === written);
  if (known) return { kind: "known", entry: known };
  return plain.length === 0 ? { kind: "unknown" } : { kind: "mismatch", expected: plain };
}

/** The key types recorded for a host, in file order: the host key algorithms to ask the server for first. */
export function knownKeyTypes(entries: KnownHostEntry[], name: string): string[] {
  const types = entries
    .filter((entry) => entry.marker === undefined && entryMatches(entry, name))
    .map((entry) => entry.keyType);
  return [...new Set(types)];
}

/** `SHA256:<base64, unpadded>` of a key blob, as `ssh-keygen -l` and ssh's own messages print it. */
export function fingerprint(key: Buffer | string): string {
  const blob = typeof key === "string" ? Buffer.from(key, "base64") : key;
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside a key blob (its first SSH string), e.g. `ssh-ed25519`. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return "unknown";
  const length = key.readUInt32BE(0);
  return length > 0 && 4 + length <= key.length ? key.subarray(4, 4 + length).toString("latin1") : "unknown";
}

/** The line `accept-new` appends: plain (not hashed) name, key type, key. */
export function knownHostsLine(name: string, key: Buffer): string {
  return `${name} ${keyTypeOf(key)} ${key.toString("base64")}`;
}

function hashedMatches(hashed: string, name: string): boolean {
  const [, , salt, hash] = hashed.split("|");
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function globMatches(pattern: string, name: string): boolean {
  const source = [...pattern.toLowerCase()]
    .map((char) => (char === "*" ? ".*" : char === "?" ? "." : char.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(name);
}
