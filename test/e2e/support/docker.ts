import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Docker from "dockerode";
import { request } from "undici";
import { LABEL } from "../../../src/labels.js";

/** The engine the CLI's `local` host uses: DOCKER_HOST, else /var/run/docker.sock. */
export const docker = new Docker();

const byProject = (project: string) => ({ label: [`${LABEL.project}=${project}`] });

export function projectContainers(project: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: byProject(project) });
}

export function projectImages(project: string): Promise<Docker.ImageInfo[]> {
  return docker.listImages({ filters: byProject(project) });
}

export function inspectContainer(idOrName: string): Promise<Docker.ContainerInspectInfo> {
  return docker.getContainer(idOrName).inspect();
}

export function inspectImage(ref: string): Promise<Docker.ImageInspectInfo> {
  return docker.getImage(ref).inspect();
}

/** The container named `name`, or null. */
export async function findContainer(name: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await inspectContainer(name);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
}

async function ignore(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch {
    // already gone, or in use by something removed a moment later: cleanup is best effort
  }
}

/**
 * Removes everything of a project from the engine: containers (forced, with anonymous volumes), images,
 * networks and volumes, found by the project label — and, so that a product bug that forgets a label leaks
 * nothing either, containers named `<project>-…` and images named `<project>/…`.
 */
export async function cleanupProject(project: string): Promise<void> {
  const labelled = await projectContainers(project);
  const named = await docker.listContainers({ all: true, filters: { name: [`^/${project}-`] } });
  const containerIds = new Set([...labelled, ...named].map((c) => c.Id));
  await Promise.all(
    [...containerIds].map((id) => ignore(docker.getContainer(id).remove({ force: true, v: true }))),
  );

  const images = [
    ...(await projectImages(project)),
    ...(await docker.listImages({ filters: { reference: [`${project}/*`] } })),
  ];
  for (const id of new Set(images.map((image) => image.Id))) {
    await ignore(docker.getImage(id).remove({ force: true }));
  }

  const networks = await docker.listNetworks({ filters: byProject(project) });
  await Promise.all(networks.map((network) => ignore(docker.getNetwork(network.Id).remove())));

  const { Volumes } = await docker.listVolumes({ filters: byProject(project) });
  await Promise.all(
    (Volumes ?? []).map((volume) => ignore(docker.getVolume(volume.Name).remove({ force: true }))),
  );
}

/** One GET with a hard deadline; the body as text. */
export async function httpGet(url: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  const response = await request(url, { method: "GET", signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.statusCode, body: await response.body.text() };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address && typeof address === "object") resolve(address.port);
      else reject(new Error("no port"));
    });
  });
}

/** `count` distinct ports free on 127.0.0.1 right now (all held open until every one is found). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    const ports: number[] = [];
    for (const server of servers) ports.push(await listen(server));
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error("no free port");
  return port;
}

/**
 * Builds an image from `files` (a Dockerfile and what it copies) and tags it `tag`, outside the CLI: the local
 * images that image services deploy (no registry is reachable here). Build them `FROM busybox:latest` with a
 * change of their own, never deploy busybox itself: cleanupProject removes a project's images by id.
 */
export async function buildLocalImage(tag: string, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "deploy-e2e-image-"));
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    const stream = await docker.buildImage({ context: dir, src: Object.keys(files) }, { t: tag, rm: true });
    const output = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
      docker.modem.followProgress(stream, (error, result) => (error ? reject(error) : resolve(result))),
    );
    const failure = output.find((line) => line.error);
    if (failure) throw new Error(`building ${tag} failed: ${failure.error}`);
    return (await inspectImage(tag)).Id;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
