import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { LABEL } from "../../../src/labels.js";
import { REPO_ROOT } from "./cli.js";

const exec = promisify(execFile);
const SCRIPT = join(REPO_ROOT, "scripts", "test-host.sh");

/** What `scripts/test-host.sh up NAME` writes to /tmp/deploy-test-host/NAME/host.json. */
export interface TestHost {
  name: string;
  netns: string;
  /** The namespace's address, where sshd listens. */
  address: string;
  /** This machine's address on the namespace's link. */
  localAddress: string;
  /** This machine's end of that link (take it down to cut the host off). */
  localInterface: string;
  sshPort: number;
  /** A second sshd that refuses stream-local forwarding (Docker calls must go through dial-stdio). */
  noForwardingPort: number;
  user: string;
  identityFile: string;
  /** A key pair the host does not accept. */
  strangerIdentityFile: string;
  /** known_hosts with the host's ed25519 key for both ports. */
  knownHostsFile: string;
  /** `ssh-ed25519 AAAA…` */
  hostKey: string;
  dockerSocket: string;
  sshdLog: string;
  noForwardingSshdLog: string;
  stateDir: string;
}

/** Brings up the stand-in remote host NAME (a network namespace with its own dockerd and sshd). */
export async function testHostUp(name: string): Promise<TestHost> {
  try {
    await exec("bash", [SCRIPT, "up", name], { cwd: REPO_ROOT });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`scripts/test-host.sh up ${name} failed:\n${stdout}${stderr}`);
  }
  return JSON.parse(await readFile(`/tmp/deploy-test-host/${name}/host.json`, "utf8")) as TestHost;
}

export async function testHostDown(name: string): Promise<void> {
  await exec("bash", [SCRIPT, "down", name], { cwd: REPO_ROOT });
}

/** The test host's engine, reached directly on its socket (for assertions and clean-up, not through SSH). */
export function remoteDocker(host: TestHost): Docker {
  return new Docker({ socketPath: host.dockerSocket });
}

/** A manifest `hosts:` entry for the test host; `overrides` replace its keys (e.g. a wrong identity_file). */
export function sshHostEntry(
  host: TestHost,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ssh: `${host.user}@${host.address}:${host.sshPort}`,
    identity_file: host.identityFile,
    known_hosts: host.knownHostsFile,
    docker_socket: host.dockerSocket,
    ...overrides,
  };
}

/** A GET by node itself: prints the body of a 2xx answer, else fails. (Static busybox wget crashes here.) */
const GET_SCRIPT = `
fetch(process.argv[1], { signal: AbortSignal.timeout(5000) }).then(async (response) => {
  process.stdout.write(await response.text());
  process.exitCode = response.ok ? 0 : 1;
});`;

/** GET `url` from inside the host's network namespace: what the host itself sees. */
export async function getInside(host: TestHost, url: string): Promise<string> {
  const { stdout } = await exec("nsenter", [`--net=${host.netns}`, process.execPath, "-e", GET_SCRIPT, url]);
  return stdout;
}

/** How many SSH logins sshd has accepted so far ("Accepted publickey for …" lines of its log). */
export async function acceptedLogins(logFile: string): Promise<number> {
  const log = await readFile(logFile, "utf8");
  return log.split("\n").filter((line) => line.includes("Accepted publickey for ")).length;
}

/** Removes a project's containers, images and networks from the test host's engine. */
export async function cleanupRemoteProject(host: TestHost, project: string): Promise<void> {
  const docker = remoteDocker(host);
  const filters = { label: [`${LABEL.project}=${project}`] };
  const ignore = (work: Promise<unknown>) => work.catch(() => undefined);
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) => ignore(docker.getContainer(c.Id).remove({ force: true, v: true }))),
  );
  const images = [
    ...(await docker.listImages({ filters })),
    ...(await docker.listImages({ filters: { reference: [`${project}/*`] } })),
  ];
  for (const id of new Set(images.map((image) => image.Id)))
    await ignore(docker.getImage(id).remove({ force: true }));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((network) => ignore(docker.getNetwork(network.Id).remove())));
}

/**
 * Kills sshd's processes for the connections open to the listener on `port` (its children), as a crash or a
 * reboot of the host would: the client sees its connection drop. Returns how many it killed.
 */
export async function killSshSessions(host: TestHost, port: number): Promise<number> {
  const pidFile = join(host.stateDir, port === host.sshPort ? "sshd.pid" : "sshd-nofwd.pid");
  const listener = (await readFile(pidFile, "utf8")).trim();
  let killed = 0;
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
    const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
    if (ppid !== listener) continue;
    process.kill(Number(pid), "SIGKILL");
    killed++;
  }
  return killed;
}

/** Takes this machine's end of the link to the host down (`up: false`) or up again. */
export async function setLink(host: TestHost, up: boolean): Promise<void> {
  await exec("ip", ["link", "set", host.localInterface, up ? "up" : "down"]);
}
