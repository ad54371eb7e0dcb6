import type { Readable } from "node:stream";
import Dockerode from "dockerode";
import { pack } from "tar-stream";
import { LABEL } from "../labels.js";
import type { ServiceImage } from "../release.js";
import { type BuildOutcome, readBuildOutput } from "./build-output.js";
import { type PullOutcome, readPullOutput } from "./pull-output.js";
import { isStatus } from "./status.js";
import { SwarmEngine } from "./swarm-engine.js";

export interface ContainerState {
  id: string;
  name: string;
  image: string;
  /** The id of the image it runs (its `image` is the reference it was created from, a tag that can move). */
  imageId: string;
  labels: Record<string, string>;
  running: boolean;
  /** Exited and about to be started again by its restart policy (a crash loop looks "running" in between). */
  restarting: boolean;
  restartCount: number;
  exitCode: number;
  /** The image's own HEALTHCHECK status, when it has one. */
  health?: string;
  startedAt: string;
  /** Its IPv4 address on each network it is attached to, by network name. */
  addresses: Record<string, string>;
}

/** A container as the engine's list shows it: enough to know a running one, not why another one stopped. */
export interface ListedContainer {
  id?: string;
  name?: string;
  image: string;
  /** The id of the image it runs. */
  imageId: string;
  labels: Record<string, string>;
  /** The list's `running` state: not restarting, paused or exited. */
  running: boolean;
}

/** Where an engine listens: its socket, or an HTTP agent (an SSH host's channels). */
export type EngineOptions = Dockerode.DockerOptions;
export type ContainerCreateOptions = Dockerode.ContainerCreateOptions;
export type ImageBuildOptions = Dockerode.ImageBuildOptions;

/** Options of a container's log output: the last `tail` lines, or those since `since` (unix seconds). */
export interface LogOptions {
  tail?: number;
  since?: number;
  /** The name is a Swarm service's: every task's output, on every node (`docker service logs`). */
  swarmService?: boolean;
}

/**
 * The few engine operations the tool needs, in domain terms: the one way the rest of the code reaches a
 * Docker engine (DockerEngine over dockerode; unit tests give a fake). Idempotent outcomes (already stopped,
 * already gone) count as success, so cleanup after a failure never masks the original error.
 */
export interface Engine {
  /** How many CPUs the engine's machine has (a remote host's, not this one's). */
  cpus(): Promise<number>;
  ping(): Promise<void>;
  build(
    context: Readable,
    options: ImageBuildOptions,
    onLine: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<BuildOutcome>;
  /** Pulls `reference` from its registry, its output lines to `onLine`; a refusal is an outcome, not a throw. */
  pull(reference: string, onLine: (line: string) => void, signal?: AbortSignal): Promise<PullOutcome>;
  /** Images tagged in one repository (`<project>/<service>`), with only that repository's tags. */
  repositoryImages(repository: string): Promise<ServiceImage[]>;
  /** An image's labels, or null when there is no such image. */
  imageLabels(reference: string): Promise<Record<string, string> | null>;
  containersByPrefix(prefix: string): Promise<Map<string, ListedContainer>>;
  imageLabelsUnder(namespace: string): Promise<Map<string, Record<string, string>>>;
  serviceImages(project: string, service: string): Promise<ServiceImage[]>;
  inspectImage(reference: string): Promise<{ id: string; labels: Record<string, string> } | null>;
  tagImage(id: string, reference: string): Promise<void>;
  releaseRecords(
    project: string,
    service: string,
  ): Promise<Array<{ id: string; labels: Record<string, string> }>>;
  removeImage(reference: string): Promise<boolean>;
  inspectContainer(nameOrId: string): Promise<ContainerState | null>;
  serviceContainers(
    project: string,
    service: string,
  ): Promise<Array<{ id: string; name: string; imageId: string }>>;
  createContainer(options: ContainerCreateOptions): Promise<string>;
  connectNetwork(network: string, containerId: string, aliases: string[]): Promise<void>;
  start(id: string): Promise<void>;
  stop(id: string, timeoutSeconds?: number): Promise<void>;
  projectContainersWith(project: string, label: string): Promise<ListedContainer[]>;
  putFile(id: string, path: string, content: string): Promise<void>;
  exec(id: string, command: string[]): Promise<{ exitCode: number; output: string }>;
  rename(id: string, name: string): Promise<void>;
  remove(id: string): Promise<void>;
  wait(id: string): Promise<number>;
  logTail(id: string, lines?: number): Promise<string>;
  /** A container's log output as text, stdout and stderr together. */
  logs(nameOrId: string, options: LogOptions): Promise<string>;
  /** Streams a container's log output into `stdout` and `stderr` until it ends or `stop()` is called. */
  followLogs(
    nameOrId: string,
    options: LogOptions,
    stdout: NodeJS.WritableStream,
    stderr: NodeJS.WritableStream,
  ): Promise<{ done: Promise<void>; stop: () => void }>;
  ensureNetwork(name: string, project: string): Promise<void>;
  /** Creates a config-only network (a labelled record: no bridge, no firewall rules); null when the name is taken. */
  createRecordNetwork(name: string, labels: Record<string, string>): Promise<string | null>;
  /** The network of exactly this name, or null. */
  findNetwork(name: string): Promise<{ id: string; labels: Record<string, string> } | null>;
  removeNetwork(id: string): Promise<void>;
  /** The Swarm operations of this engine (only Swarm targets use them), over the same connection. */
  swarm(): SwarmEngine;
}

/** The engine reached with `options`. */
export function connectEngine(options: EngineOptions): Engine {
  return new DockerEngine(new Dockerode(options));
}

/** The Engine over dockerode; dockerode itself stays inside this class. */
export class DockerEngine implements Engine {
  readonly #docker: Dockerode;

  constructor(docker: Dockerode) {
    this.#docker = docker;
  }

  /** How many CPUs the engine's machine has (a remote host's, not this one's). */
  async cpus(): Promise<number> {
    return (await this.#docker.info()).NCPU;
  }

  async ping(): Promise<void> {
    await this.#docker.ping();
  }

  /**
   * POST /build with the packed context as the body. Not through dockerode's buildImage: for `version: "2"`
   * (BuildKit) it opens a gRPC session, which only a context sent over that session, or registry credentials,
   * would need; an uploaded context builds without one.
   */
  async build(
    context: Readable,
    options: ImageBuildOptions,
    onLine: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<BuildOutcome> {
    const stream = await new Promise<Readable>((resolve, reject) => {
      this.#docker.modem.dial(
        {
          path: "/build?",
          method: "POST",
          file: context,
          options,
          abortSignal: signal,
          isStream: true,
          statusCodes: { 200: true, 400: "bad parameter", 500: "server error" },
        },
        (error, response) => (error ? reject(error) : resolve(response as Readable)),
      );
    });
    return readBuildOutput(stream, onLine);
  }

  /**
   * POST /images/create: pulls `reference` from its registry, its output lines to `onLine`. Not through
   * dockerode's pull, whose stream helper never rejects on an error line; the engine's refusal (an unknown
   * registry, a network error) comes back as an outcome like a failed stream does.
   */
  async pull(reference: string, onLine: (line: string) => void, signal?: AbortSignal): Promise<PullOutcome> {
    const { repository, tag } = splitReference(reference);
    let stream: Readable;
    try {
      stream = await new Promise<Readable>((resolve, reject) => {
        this.#docker.modem.dial(
          {
            path: "/images/create?",
            method: "POST",
            options: { fromImage: repository, tag },
            abortSignal: signal,
            isStream: true,
            statusCodes: { 200: true, 404: "no such image", 500: "server error" },
          },
          (error, response) => (error ? reject(error) : resolve(response as Readable)),
        );
      });
    } catch (error) {
      return { ok: false, message: engineMessage(error) };
    }
    return readPullOutput(stream, onLine);
  }

  /** Images tagged in one repository (`<project>/<service>`), with only that repository's tags. */
  async repositoryImages(repository: string): Promise<ServiceImage[]> {
    const images = await this.#docker.listImages({ filters: { reference: [repository] } });
    return images.map((image) => ({
      id: image.Id,
      tags: (image.RepoTags ?? []).filter((tag) => tag.startsWith(`${repository}:`)),
      created: image.Created,
    }));
  }

  async imageLabels(reference: string): Promise<Record<string, string> | null> {
    try {
      const info = await this.#docker.getImage(reference).inspect();
      return info.Config?.Labels ?? {};
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  /**
   * Containers whose name starts with `prefix`, by name, from one list call: their state as the list gives it,
   * labels included, without an inspection each.
   */
  async containersByPrefix(prefix: string): Promise<Map<string, ListedContainer>> {
    const listed = await this.#docker.listContainers({
      all: true,
      filters: { name: [`^/${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`] },
    });
    const byName = new Map<string, ListedContainer>();
    for (const container of listed) {
      for (const name of container.Names) {
        byName.set(name.replace(/^\//, ""), {
          image: container.Image,
          imageId: container.ImageID,
          labels: container.Labels ?? {},
          running: container.State === "running",
        });
      }
    }
    return byName;
  }

  /** Labels of every image tagged in repositories under `<namespace>/`, by tag, from one list call. */
  async imageLabelsUnder(namespace: string): Promise<Map<string, Record<string, string>>> {
    const images = await this.#docker.listImages({ filters: { reference: [`${namespace}/*`] } });
    return new Map(images.flatMap((image) => (image.RepoTags ?? []).map((tag) => [tag, image.Labels ?? {}])));
  }

  /** Images of one service, newest first; an untagged one has no tags (the engine says `<none>:<none>`). */
  async serviceImages(project: string, service: string): Promise<ServiceImage[]> {
    const images = await this.#docker.listImages({
      filters: { label: [`${LABEL.project}=${project}`, `${LABEL.service}=${service}`] },
    });
    return images
      .map((image) => ({
        id: image.Id,
        tags: (image.RepoTags ?? []).filter((tag) => tag !== "<none>:<none>"),
        created: image.Created,
      }))
      .sort((a, b) => b.created - a.created);
  }

  /** The image's id and labels, or null when there is no such image. */
  async inspectImage(reference: string): Promise<{ id: string; labels: Record<string, string> } | null> {
    try {
      const info = await this.#docker.getImage(reference).inspect();
      return { id: info.Id, labels: info.Config?.Labels ?? {} };
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  /** Points `repository:tag` at the image `id` (moving the tag from whatever image held it). */
  async tagImage(id: string, reference: string): Promise<void> {
    const at = reference.lastIndexOf(":");
    await this.#docker.getImage(id).tag({ repo: reference.slice(0, at), tag: reference.slice(at + 1) });
  }

  /** The release records of one service on this engine (see docker/release-record.ts), unordered. */
  async releaseRecords(
    project: string,
    service: string,
  ): Promise<Array<{ id: string; labels: Record<string, string> }>> {
    const records = await this.#docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.project}=${project}`, `${LABEL.releaseOf}=${service}`] },
    });
    return records.map((record) => ({ id: record.Id, labels: record.Labels ?? {} }));
  }

  /** Removes an image (or one tag of it); false when the engine refuses because a container uses it. */
  async removeImage(reference: string): Promise<boolean> {
    try {
      await this.#docker.getImage(reference).remove();
      return true;
    } catch (error) {
      if (isStatus(error, 404)) return true;
      if (isStatus(error, 409)) return false;
      throw error;
    }
  }

  async inspectContainer(nameOrId: string): Promise<ContainerState | null> {
    try {
      const info = await this.#docker.getContainer(nameOrId).inspect();
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ""),
        image: info.Config.Image,
        imageId: info.Image,
        labels: info.Config.Labels ?? {},
        running: info.State.Running,
        restarting: info.State.Restarting,
        restartCount: info.RestartCount ?? 0,
        exitCode: info.State.ExitCode,
        health: info.State.Health?.Status,
        startedAt: info.State.StartedAt,
        addresses: Object.fromEntries(
          Object.entries(info.NetworkSettings?.Networks ?? {}).map(([name, net]) => [name, net.IPAddress]),
        ),
      };
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  /** Containers of one service, by label (includes stopped ones and leftovers of an interrupted replace). */
  async serviceContainers(
    project: string,
    service: string,
  ): Promise<Array<{ id: string; name: string; imageId: string }>> {
    const listed = await this.#docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.project}=${project}`, `${LABEL.service}=${service}`] },
    });
    return listed.map((container) => ({
      id: container.Id,
      name: (container.Names[0] ?? "").replace(/^\//, ""),
      imageId: container.ImageID,
    }));
  }

  async createContainer(options: ContainerCreateOptions): Promise<string> {
    const container = await this.#docker.createContainer(options);
    return container.id;
  }

  async connectNetwork(network: string, containerId: string, aliases: string[]): Promise<void> {
    await this.#docker
      .getNetwork(network)
      .connect({ Container: containerId, EndpointConfig: { Aliases: aliases } });
  }

  async start(id: string): Promise<void> {
    await ignoreStatus(this.#docker.getContainer(id).start(), 304);
  }

  /** Stops with the container's own stop signal; after `timeoutSeconds`, else its own stop timeout, it is killed. */
  async stop(id: string, timeoutSeconds?: number): Promise<void> {
    const options = timeoutSeconds === undefined ? {} : { t: timeoutSeconds };
    await ignoreStatus(this.#docker.getContainer(id).stop(options), 304, 404);
  }

  /** Containers of a project that carry `label` (any value), stopped ones included. */
  async projectContainersWith(project: string, label: string): Promise<ListedContainer[]> {
    const listed = await this.#docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.project}=${project}`, label] },
    });
    return listed.map((container) => ({
      id: container.Id,
      name: (container.Names[0] ?? "").replace(/^\//, ""),
      image: container.Image,
      imageId: container.ImageID,
      labels: container.Labels ?? {},
      running: container.State === "running",
    }));
  }

  /** Writes one file into a container (running or not), its folder made when missing, as `docker cp` does. */
  async putFile(id: string, path: string, content: string): Promise<void> {
    const relative = path.replace(/^\/+/, "");
    const folder = relative.slice(0, relative.lastIndexOf("/"));
    const archive = pack();
    if (folder) archive.entry({ name: folder, type: "directory", mode: 0o700 });
    archive.entry({ name: relative, mode: 0o600 }, content);
    archive.finalize();
    await this.#docker.getContainer(id).putArchive(archive as unknown as Readable, { path: "/" });
  }

  /** Runs a command in a running container; its exit code and output (stdout and stderr together). */
  async exec(id: string, command: string[]): Promise<{ exitCode: number; output: string }> {
    const exec = await this.#docker
      .getContainer(id)
      .exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const { ExitCode } = await exec.inspect();
    return { exitCode: ExitCode ?? -1, output: demultiplex(Buffer.concat(chunks)).trim() };
  }

  async rename(id: string, name: string): Promise<void> {
    await this.#docker.getContainer(id).rename({ name });
  }

  async remove(id: string): Promise<void> {
    await ignoreStatus(this.#docker.getContainer(id).remove({ force: true, v: false }), 404, 409);
  }

  /** Waits until the container exits, returning its exit code. */
  async wait(id: string): Promise<number> {
    const result = (await this.#docker.getContainer(id).wait()) as { StatusCode: number };
    return result.StatusCode;
  }

  /** The container's last `lines` lines of output, stdout and stderr together, as text. */
  async logTail(id: string, lines = 20): Promise<string> {
    try {
      return (await this.logs(id, { tail: lines })).trim();
    } catch {
      return "";
    }
  }

  async logs(nameOrId: string, options: LogOptions): Promise<string> {
    const { swarmService, ...rest } = options;
    const buffer = (await this.#logSource(nameOrId, swarmService).logs({
      stdout: true,
      stderr: true,
      ...rest,
      follow: false,
    })) as unknown as Buffer;
    return demultiplex(buffer);
  }

  async followLogs(
    nameOrId: string,
    options: LogOptions,
    stdout: NodeJS.WritableStream,
    stderr: NodeJS.WritableStream,
  ): Promise<{ done: Promise<void>; stop: () => void }> {
    const { swarmService, ...rest } = options;
    const stream = (await this.#logSource(nameOrId, swarmService).logs({
      stdout: true,
      stderr: true,
      ...rest,
      follow: true,
    })) as unknown as Readable;
    this.#docker.modem.demuxStream(stream, stdout, stderr);
    const done = new Promise<void>((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", reject);
    });
    return { done, stop: () => stream.destroy() };
  }

  /** A Swarm service's logs take the container logs' options. */
  #logSource(name: string, swarmService = false): Pick<Dockerode.Container, "logs"> {
    return swarmService
      ? (this.#docker.getService(name) as unknown as Pick<Dockerode.Container, "logs">)
      : this.#docker.getContainer(name);
  }

  swarm(): SwarmEngine {
    return new SwarmEngine(this.#docker);
  }

  async createRecordNetwork(name: string, labels: Record<string, string>): Promise<string | null> {
    try {
      const network = await this.#docker.createNetwork({
        Name: name,
        CheckDuplicate: true,
        ConfigOnly: true,
        Labels: labels,
      });
      return network.id;
    } catch (error) {
      if (isStatus(error, 409)) return null;
      throw error;
    }
  }

  async findNetwork(name: string): Promise<{ id: string; labels: Record<string, string> } | null> {
    const networks = await this.#docker.listNetworks({ filters: { name: [name] } });
    const network = networks.find((candidate) => candidate.Name === name);
    return network ? { id: network.Id, labels: network.Labels ?? {} } : null;
  }

  async removeNetwork(id: string): Promise<void> {
    await ignoreStatus(this.#docker.getNetwork(id).remove(), 404);
  }

  /** Creates the network when missing (labelled as ours), tolerating a concurrent creation by a sibling. */
  async ensureNetwork(name: string, project: string): Promise<void> {
    const existing = await this.#docker.listNetworks({ filters: { name: [name] } });
    if (existing.some((network) => network.Name === name)) return;
    await ignoreStatus(
      this.#docker.createNetwork({ Name: name, CheckDuplicate: true, Labels: { [LABEL.project]: project } }),
      409,
    );
  }
}

/** `name[:tag]` or `name@digest` as the pull endpoint takes it (a port's colon is no tag's). */
export function splitReference(reference: string): { repository: string; tag: string } {
  const at = reference.indexOf("@");
  if (at >= 0) return { repository: reference.slice(0, at), tag: reference.slice(at + 1) };
  const colon = reference.lastIndexOf(":");
  if (colon > reference.lastIndexOf("/")) {
    return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  }
  return { repository: reference, tag: "latest" };
}

/** The engine's own words for a refused request, without docker-modem's "(HTTP code 500) server error - ". */
function engineMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(HTTP code \d+\)[^-]*- /, "").trim();
}

/** Docker multiplexes stdout/stderr of non-TTY containers into 8-byte-header frames. */
export function demultiplex(buffer: Buffer): string {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const streamType = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    if (streamType === undefined || streamType > 2 || offset + 8 + size > buffer.length) {
      return buffer.toString("utf8"); // not multiplexed (a TTY container)
    }
    chunks.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function ignoreStatus(operation: Promise<unknown>, ...codes: number[]): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (!isStatus(error, ...codes)) throw error;
  }
}
