import { readFile } from "node:fs/promises";
import { join } from "node:path";
import ssh2, { type AgentAuthMethod, type ParsedKey, type PublicKeyAuthMethod } from "ssh2";

/** The passphrase of an encrypted identity_file. (Not DEPLOY_…: every DEPLOY_* variable is a CLI option.) */
export const PASSPHRASE_ENV = "SSH_KEY_PASSPHRASE";

const DEFAULT_KEYS = ["id_ed25519", "id_ecdsa", "id_rsa"];

export interface Credentials {
  methods: Array<PublicKeyAuthMethod | AgentAuthMethod>;
  /** What is tried, for an error message: "the key /home/me/.ssh/deploy", "the ssh-agent at /tmp/…". */
  tried: string;
}

/**
 * How to log in as `user`: the identity_file when one is given; else the ssh-agent at SSH_AUTH_SOCK; else, like
 * ssh, the default keys in ~/.ssh that exist. Nothing prompts: an encrypted key needs SSH_KEY_PASSPHRASE.
 */
export async function credentials(
  user: string,
  identityFile: string | undefined,
  env: NodeJS.ProcessEnv,
  home: string,
): Promise<Credentials> {
  const passphrase = env[PASSPHRASE_ENV] || undefined;
  if (identityFile) {
    const key = await loadKey(identityFile, passphrase, true);
    return { methods: [{ type: "publickey", username: user, key }], tried: `the key ${identityFile}` };
  }
  const agent = env.SSH_AUTH_SOCK;
  if (agent)
    return { methods: [{ type: "agent", username: user, agent }], tried: `the ssh-agent at ${agent}` };
  const files = DEFAULT_KEYS.map((name) => join(home, ".ssh", name));
  const methods: PublicKeyAuthMethod[] = [];
  for (const file of files) {
    const key = await loadKey(file, passphrase, false);
    if (key) methods.push({ type: "publickey", username: user, key });
  }
  if (methods.length === 0) {
    throw new Error(
      `no credentials: give the host an identity_file, or run an ssh-agent (SSH_AUTH_SOCK), or create ${files[0]}`,
    );
  }
  return { methods, tried: `the keys in ${join(home, ".ssh")}` };
}

async function loadKey(file: string, passphrase: string | undefined, required: true): Promise<ParsedKey>;
async function loadKey(
  file: string,
  passphrase: string | undefined,
  required: false,
): Promise<ParsedKey | null>;
async function loadKey(
  file: string,
  passphrase: string | undefined,
  required: boolean,
): Promise<ParsedKey | null> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!required && code === "ENOENT") return null;
    throw new Error(`cannot read identity_file ${file}: ${code === "ENOENT" ? "no such file" : code}`);
  }
  const parsed = ssh2.utils.parseKey(data, passphrase);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || !key) {
    const message = key instanceof Error ? key.message : "no key in it";
    if (/no passphrase given/i.test(message)) {
      if (!required) return null; // like ssh without a terminal: skip a default key it cannot unlock
      throw new Error(`identity_file ${file} is encrypted: set ${PASSPHRASE_ENV} to its passphrase`);
    }
    if (/bad passphrase/i.test(message)) throw new Error(`identity_file ${file}: wrong ${PASSPHRASE_ENV}`);
    throw new Error(`identity_file ${file} is not a private key ssh2 can read: ${message}`);
  }
  if (key.isPrivateKey && !key.isPrivateKey())
    throw new Error(`identity_file ${file} holds a public key, not a private one`);
  return key;
}
