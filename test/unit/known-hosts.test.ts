import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkHostKey,
  entryMatches,
  fingerprint,
  type KnownHostEntry,
  keyTypeOf,
  knownHostName,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
} from "../../src/hosts/known-hosts.js";
import { HostKeyVerifier } from "../../src/hosts/ssh/host-key.js";

// Two real keys, with the fingerprints `ssh-keygen -lf` printed for them.
const ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIF4JW12Geng12wWrpSgdratiygSuGq/GRO9xVj+drEdG";
const ED25519_FP = "SHA256:zUWVI17I7HgBL27RgYgBQERHiaqK6PyCiEL5BvIXo8Y";
const ECDSA =
  "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBP9ZtVh5IWjzbiG8vTKOkU10EGgk1HtlPmyvk8ms2gH1wNNt8VlF1F/rldCRdTuXzK7Lb5feDdv8lsK3Rboa1K0=";
const ECDSA_FP = "SHA256:B6Cvgqsy/bF3BGOxjaR804xVNvt1aTL5HByIiPIhM1s";
const ed25519 = Buffer.from(ED25519, "base64");
const ecdsa = Buffer.from(ECDSA, "base64");

// `ssh-keygen -H` of "10.0.0.2 <ED25519>" and "[deploy.example.com]:2222 <ECDSA>".
const HASHED = [
  `|1|gJuNZP5nAcyn7dQGxjNS/iga6ak=|DnLYiR3JVRkEfGpCtBBSwDSUFX4= ssh-ed25519 ${ED25519}`,
  `|1|D7Xle3jTpjOo2MywlEEjmLKZ6T0=|TVODMxyE6HCYujXp8gu2JBgS52k= ecdsa-sha2-nistp256 ${ECDSA}`,
].join("\n");

function entry(patterns: string, extra: Partial<KnownHostEntry> = {}): KnownHostEntry {
  return { line: 1, patterns, keyType: "ssh-ed25519", key: ED25519, ...extra };
}

describe("parseKnownHosts", () => {
  it("reads entries with their line numbers, skipping comments, blanks, malformed lines and unknown markers", () => {
    const text = [
      "# a comment",
      "",
      `10.0.0.2,web ssh-ed25519 ${ED25519} deploy@laptop`,
      "   ",
      "broken-line-without-key",
      `@revoked * ssh-ed25519 ${ED25519}`,
      `@cert-authority *.example.com ecdsa-sha2-nistp256 ${ECDSA}`,
      `@future-marker host ssh-ed25519 ${ED25519}`,
      `[deploy.example.com]:2222 ecdsa-sha2-nistp256 ${ECDSA}\r`,
      "host ssh-ed25519 not*base64",
    ].join("\n");
    expect(parseKnownHosts(text)).toEqual([
      { line: 3, patterns: "10.0.0.2,web", keyType: "ssh-ed25519", key: ED25519 },
      { line: 6, marker: "revoked", patterns: "*", keyType: "ssh-ed25519", key: ED25519 },
      {
        line: 7,
        marker: "cert-authority",
        patterns: "*.example.com",
        keyType: "ecdsa-sha2-nistp256",
        key: ECDSA,
      },
      { line: 9, patterns: "[deploy.example.com]:2222", keyType: "ecdsa-sha2-nistp256", key: ECDSA },
    ]);
  });
});

describe("knownHostName", () => {
  it.each([
    ["10.0.0.2", 22, "10.0.0.2"],
    ["Deploy.Example.COM", 22, "deploy.example.com"],
    ["deploy.example.com", 2222, "[deploy.example.com]:2222"],
    ["::1", 2200, "[::1]:2200"],
  ])("%s port %i is looked up as %s", (host, port, name) => {
    expect(knownHostName(host, port)).toBe(name);
  });
});

describe("entryMatches", () => {
  it.each([
    ["10.0.0.2", "10.0.0.2", true],
    ["10.0.0.2", "10.0.0.20", false],
    ["web,10.0.0.2", "10.0.0.2", true],
    ["*.example.com", "deploy.example.com", true],
    ["*.example.com", "example.com", false],
    ["10.0.0.?", "10.0.0.7", true],
    ["10.0.0.?", "10.0.0.17", false],
    ["*.example.com,!bad.example.com", "bad.example.com", false],
    ["!bad.example.com", "good.example.com", false],
    ["[deploy.example.com]:2222", "[deploy.example.com]:2222", true],
    ["[deploy.example.com]:2222", "deploy.example.com", false],
    ["deploy.example.com", "[deploy.example.com]:2222", false],
    ["[*.example.com]:2222", "[deploy.example.com]:2222", true],
    ["WEB.example.com", "web.example.com", true],
    ["a+b.example.com", "aab.example.com", false],
  ])("%s covers %s: %s", (patterns, name, expected) => {
    expect(entryMatches(entry(patterns), name)).toBe(expected);
  });

  it("matches hashed names as ssh-keygen -H writes them, ports included", () => {
    const [plain22, port2222] = parseKnownHosts(HASHED) as [KnownHostEntry, KnownHostEntry];
    expect(entryMatches(plain22, "10.0.0.2")).toBe(true);
    expect(entryMatches(plain22, "10.0.0.3")).toBe(false);
    expect(entryMatches(port2222, "[deploy.example.com]:2222")).toBe(true);
    expect(entryMatches(port2222, "deploy.example.com")).toBe(false);
    expect(entryMatches(entry("|1|broken"), "10.0.0.2")).toBe(false);
  });
});

describe("checkHostKey", () => {
  const file = parseKnownHosts(
    [
      `10.0.0.2 ssh-ed25519 ${ED25519}`,
      `[10.0.0.2]:2222 ecdsa-sha2-nistp256 ${ECDSA}`,
      `@revoked old.example.com ecdsa-sha2-nistp256 ${ECDSA}`,
      `@cert-authority * ecdsa-sha2-nistp256 ${ECDSA}`,
      HASHED,
    ].join("\n"),
  );

  it("knows a recorded key", () => {
    expect(checkHostKey(file, "10.0.0.2", ed25519)).toEqual({ kind: "known", entry: file[0] });
    expect(checkHostKey(file, "[deploy.example.com]:2222", ecdsa)).toMatchObject({ kind: "known" });
  });

  it("calls a host with no recorded key unknown (a @cert-authority line is not a key of the host)", () => {
    expect(checkHostKey(file, "new.example.com", ed25519)).toEqual({ kind: "unknown" });
  });

  it("calls a different key a mismatch, listing the recorded ones", () => {
    expect(checkHostKey(file, "10.0.0.2", ecdsa)).toEqual({ kind: "mismatch", expected: [file[0], file[4]] });
    expect(checkHostKey(file, "[10.0.0.2]:2222", ed25519)).toEqual({ kind: "mismatch", expected: [file[1]] });
  });

  it("refuses a @revoked key even for a host with no other entry", () => {
    expect(checkHostKey(file, "old.example.com", ecdsa)).toEqual({ kind: "revoked", entry: file[2] });
    expect(checkHostKey(file, "old.example.com", ed25519)).toEqual({ kind: "unknown" });
  });

  it("lists the key types recorded for a host, for the algorithm order", () => {
    expect(knownKeyTypes(file, "10.0.0.2")).toEqual(["ssh-ed25519"]);
    expect(knownKeyTypes(file, "[10.0.0.2]:2222")).toEqual(["ecdsa-sha2-nistp256"]);
    expect(knownKeyTypes(file, "old.example.com")).toEqual([]);
  });
});

describe("fingerprints and lines", () => {
  it("prints SHA256 fingerprints the way ssh-keygen -l does", () => {
    expect(fingerprint(ed25519)).toBe(ED25519_FP);
    expect(fingerprint(ECDSA)).toBe(ECDSA_FP);
  });

  it("reads the key type inside a key blob", () => {
    expect(keyTypeOf(ed25519)).toBe("ssh-ed25519");
    expect(keyTypeOf(ecdsa)).toBe("ecdsa-sha2-nistp256");
    expect(keyTypeOf(Buffer.from([0, 0, 0, 99, 1]))).toBe("unknown");
  });

  it("writes the line accept-new appends", () => {
    expect(knownHostsLine("[10.0.0.2]:2222", ed25519)).toBe(`[10.0.0.2]:2222 ssh-ed25519 ${ED25519}`);
  });
});

describe("HostKeyVerifier", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function verifier(text: string | null, policy: "strict" | "accept-new", port = 22) {
    const dir = await mkdtemp(join(tmpdir(), "known-hosts-test-"));
    dirs.push(dir);
    const file = join(dir, "ssh", "known_hosts");
    if (text !== null) {
      await mkdir(join(dir, "ssh"));
      await writeFile(file, text);
    }
    const check = await HostKeyVerifier.load({ host: "10.0.0.2", port, file, policy });
    const verdict = (key: Buffer) => new Promise<boolean>((resolve) => check.verify(key, resolve));
    return { check, file, verdict };
  }

  it("strict: passes a known key; refuses an unknown host, naming the fingerprint and the fix", async () => {
    const known = await verifier(`10.0.0.2 ssh-ed25519 ${ED25519}\n`, "strict");
    expect(await known.verdict(ed25519)).toBe(true);
    const unknown = await verifier(null, "strict");
    expect(await unknown.verdict(ed25519)).toBe(false);
    expect(unknown.check.refusal?.message).toContain(`unknown host key ${ED25519_FP} (ssh-ed25519)`);
    expect(unknown.check.refusal?.message).toContain("host_key_policy: accept-new");
  });

  it("refuses a changed key under either policy, naming both fingerprints", async () => {
    for (const policy of ["strict", "accept-new"] as const) {
      const changed = await verifier(`# header\n10.0.0.2 ecdsa-sha2-nistp256 ${ECDSA}\n`, policy);
      expect(await changed.verdict(ed25519)).toBe(false);
      expect(changed.check.refusal?.message).toMatch(
        new RegExp(
          `^host key mismatch: expected ${escapeRegExp(ECDSA_FP)} \\(ecdsa-sha2-nistp256, .*known_hosts:2\\), got ${escapeRegExp(ED25519_FP)} \\(ssh-ed25519\\)`,
        ),
      );
      expect(await readFile(changed.file, "utf8")).toBe(`# header\n10.0.0.2 ecdsa-sha2-nistp256 ${ECDSA}\n`);
    }
  });

  it("accept-new records an unknown host's key (creating the file) and then knows it", async () => {
    const fresh = await verifier(null, "accept-new", 2222);
    expect(await fresh.verdict(ed25519)).toBe(true);
    expect(await readFile(fresh.file, "utf8")).toBe(`[10.0.0.2]:2222 ssh-ed25519 ${ED25519}\n`);
    expect(fresh.check.recorded).toBe(`[10.0.0.2]:2222 ssh-ed25519 ${ED25519}`);
    const again = await HostKeyVerifier.load({
      host: "10.0.0.2",
      port: 2222,
      file: fresh.file,
      policy: "strict",
    });
    expect(await new Promise((resolve) => again.verify(ed25519, resolve))).toBe(true);
  });

  it("accept-new appends on a line of its own when the file does not end with a newline", async () => {
    const other = await verifier(`web ssh-ed25519 ${ED25519}`, "accept-new");
    expect(await other.verdict(ecdsa)).toBe(true);
    expect(await readFile(other.file, "utf8")).toBe(
      `web ssh-ed25519 ${ED25519}\n10.0.0.2 ecdsa-sha2-nistp256 ${ECDSA}\n`,
    );
  });

  it("asks the server for the recorded key types first", async () => {
    const known = await verifier(
      `10.0.0.2 ssh-rsa ${ED25519}\n10.0.0.2 ecdsa-sha2-nistp256 ${ECDSA}\n`,
      "strict",
    );
    expect(known.check.algorithms()?.slice(0, 5)).toEqual([
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
      "ecdsa-sha2-nistp256",
      "ssh-ed25519",
    ]);
    expect((await verifier(null, "strict")).check.algorithms()).toBeUndefined();
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
