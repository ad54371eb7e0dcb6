import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type Dockerode from "dockerode";
import { LABEL } from "../labels.js";
import { isStatus } from "./status.js";

/** A Swarm service's spec, the registry credentials sent with it, and a mount in it: dockerode's shapes. */
export type SwarmServiceSpec = Dockerode.ServiceSpec;
export type RegistryAuth = Dockerode.AuthConfigObject;
export type MountSettings = Dockerode.MountSettings;

/** A Swarm service as the tool reads it back. */
export interface SwarmService {
  id: string;
  /** The spec's version: every update names the version it replaces (optimistic concurrency). */
  version: number;
  spec: Dockerode.ServiceSpec;
  previousSpec?: Dockerode.ServiceSpec;
  labels: Record<string, string>;
  /** The ContainerSpec image (`tag@digest`). */
  image: string;
  replicas: number;
  /** The last update's state (`updating`, `completed`, `rollback_started`, `rollback_completed`, `paused`…). */
  updateState?: string;
  updateMessage?: string;
}

/** One task (a replica's container on a node), in the fields the gate judges. */
export interface SwarmTask {
  id: string;
  nodeId: string;
  /** The image its spec runs (`tag@digest`). */
  image: string;
  desiredState: string;
  state: string;
  error?: string;
  /** Published host ports of this task (host mode): target port → published port. */
  ports: Array<{ target: number; published: number; protocol: string }>;
  updatedAt: string;
}

export interface SwarmNode {
  id: string;
  role: string;
  /** The node's address as the swarm knows it (what a host-mode port answers on). */
  address: string;
  state: string;
}

export type PushOutcome = { ok: true; digest: string } | { ok: false; message: string };

/**
 * The few Swarm operations a deploy needs, over the same dockerode client as the host's Engine (so the SSH
 * transport carries them too), in domain terms. Kept apart from Engine: only Swarm targets use it.
 */
export class SwarmEngine {
  /** Made by the host's Engine (Engine.swarm()): dockerode stays inside docker/. */
  constructor(private readonly docker: Dockerode) {}

  /** Whether the engine is a Swarm manager: only a manager can create services. */
  async isManager(): Promise<boolean> {
    const info = (await this.docker.info()) as { Swarm?: { ControlAvailable?: boolean } };
    return info.Swarm?.ControlAvailable === true;
  }

  async inspectService(name: string): Promise<SwarmService | null> {
    try {
      const info = (await this.docker.getService(name).inspect()) as Dockerode.Service & {
        UpdateStatus?: { State?: string; Message?: string };
      };
      const spec = info.Spec ?? {};
      return {
        id: info.ID,
        version: info.Version?.Index ?? 0,
        spec,
        ...(info.PreviousSpec ? { previousSpec: info.PreviousSpec } : {}),
        labels: spec.Labels ?? {},
        image:
          spec.TaskTemplate && "ContainerSpec" in spec.TaskTemplate
            ? (spec.TaskTemplate.ContainerSpec?.Image ?? "")
            : "",
        replicas: spec.Mode?.Replicated?.Replicas ?? 0,
        ...(info.UpdateStatus?.State ? { updateState: info.UpdateStatus.State } : {}),
        ...(info.UpdateStatus?.Message ? { updateMessage: info.UpdateStatus.Message } : {}),
      };
    } catch (error) {
      if (isStatus(error, 404)) return null;
      throw error;
    }
  }

  /** Swarm services of a project on this manager, by name. */
  async projectServices(project: string): Promise<string[]> {
    const services = await this.docker.listServices({ filters: { label: [`${LABEL.project}=${project}`] } });
    return services.map((service) => service.Spec?.Name ?? "");
  }

  async createService(spec: Dockerode.ServiceSpec, auth: Dockerode.AuthConfigObject): Promise<string> {
    const service = await this.docker.createService(auth, spec);
    return service.id;
  }

  /** Replaces the spec of version `version` (the engine refuses when someone else updated it meanwhile). */
  async updateService(
    id: string,
    version: number,
    spec: Dockerode.ServiceSpec,
    auth: Dockerode.AuthConfigObject,
  ): Promise<void> {
    await this.#update(id, { version, registryAuthFrom: "spec" }, spec, auth);
  }

  /** Swarm's own rollback (`docker service update --rollback`): the previous spec comes back. */
  async rollbackService(id: string, version: number, current: Dockerode.ServiceSpec): Promise<void> {
    await this.#update(id, { version, rollback: "previous", registryAuthFrom: "previous-spec" }, current);
  }

  /** POST /services/{id}/update with its query (version, rollback) apart from the spec in the body. */
  async #update(
    id: string,
    query: Record<string, string | number>,
    spec: Dockerode.ServiceSpec,
    auth?: Dockerode.AuthConfigObject,
  ): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `/services/${id}/update?`,
          method: "POST",
          options: { _query: query, _body: spec },
          ...(auth ? { authconfig: auth } : {}),
          statusCodes: {
            200: true,
            400: "bad parameter",
            404: "no such service",
            500: "server error",
            503: "node is not part of a swarm",
          },
        },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  async removeService(id: string): Promise<void> {
    try {
      await this.docker.getService(id).remove();
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  async tasks(serviceId: string): Promise<SwarmTask[]> {
    const tasks = (await this.docker.listTasks({ filters: { service: [serviceId] } })) as RawTask[];
    return tasks.map((task) => ({
      id: task.ID,
      nodeId: task.NodeID ?? "",
      image: task.Spec?.ContainerSpec?.Image ?? "",
      desiredState: task.DesiredState ?? "",
      state: task.Status?.State ?? "",
      ...(task.Status?.Err ? { error: task.Status.Err } : {}),
      ports: (task.Status?.PortStatus?.Ports ?? []).map((port) => ({
        target: port.TargetPort,
        published: port.PublishedPort,
        protocol: port.Protocol,
      })),
      updatedAt: task.UpdatedAt ?? "",
    }));
  }

  async nodes(): Promise<SwarmNode[]> {
    const nodes = (await this.docker.listNodes()) as RawNode[];
    return nodes.map((node) => ({
      id: node.ID,
      role: node.Spec?.Role ?? "",
      address: nodeAddress(node),
      state: node.Status?.State ?? "",
    }));
  }

  /** Pushes `reference`; a refused push (an error line inside the 200 stream) is a failure, not a success. */
  async push(
    reference: string,
    auth: Dockerode.AuthConfigObject,
    onLine: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<PushOutcome> {
    const at = reference.lastIndexOf(":");
    const stream = (await this.docker.getImage(reference.slice(0, at)).push({
      tag: reference.slice(at + 1),
      authconfig: auth,
      ...(signal ? { abortSignal: signal } : {}),
    })) as Readable;
    return readPushOutput(stream, onLine);
  }

  /** Creates the overlay network when missing; a local network of that name is an error, not a silent reuse. */
  async ensureOverlayNetwork(name: string, project: string): Promise<void> {
    const existing = (await this.docker.listNetworks({ filters: { name: [name] } })).find(
      (network) => network.Name === name,
    );
    if (existing) {
      if (existing.Scope !== "swarm") {
        throw new Error(
          `network ${name} exists on the manager as a ${existing.Driver} network; Swarm services need an overlay network`,
        );
      }
      return;
    }
    try {
      await this.docker.createNetwork({
        Name: name,
        Driver: "overlay",
        Attachable: true,
        CheckDuplicate: true,
        Labels: { [LABEL.project]: project },
      });
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
  }
}

/** Reads the engine's push stream: progress lines go to `onLine`; the digest, or the error line's message. */
export async function readPushOutput(stream: Readable, onLine: (line: string) => void): Promise<PushOutcome> {
  let digest: string | undefined;
  let failure: string | undefined;
  for await (const raw of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (raw.trim() === "") continue;
    let message: {
      status?: string;
      id?: string;
      error?: string;
      errorDetail?: { message?: string };
      aux?: { Digest?: string };
    };
    try {
      message = JSON.parse(raw);
    } catch {
      onLine(raw);
      continue;
    }
    if (message.error || message.errorDetail) {
      failure = (message.errorDetail?.message ?? message.error ?? "unknown error").trim();
      continue;
    }
    if (message.aux?.Digest) digest = message.aux.Digest;
    // Per-layer progress bars are noise in a log file; the layer states and the summary line are kept.
    if (message.status && !/^(Preparing|Waiting|Pushing)$/.test(message.status)) {
      onLine(message.id ? `${message.id}: ${message.status}` : message.status);
    }
  }
  if (failure !== undefined) return { ok: false, message: failure };
  if (!digest) return { ok: false, message: "the registry answered no digest for the pushed image" };
  return { ok: true, digest };
}

interface RawTask {
  ID: string;
  NodeID?: string;
  DesiredState?: string;
  UpdatedAt?: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status?: {
    State?: string;
    Err?: string;
    PortStatus?: { Ports?: Array<{ TargetPort: number; PublishedPort: number; Protocol: string }> };
  };
}

interface RawNode {
  ID: string;
  Spec?: { Role?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
}

/** A manager may report 0.0.0.0 as its own address; its manager address (`ip:2377`) names it then. */
function nodeAddress(node: RawNode): string {
  const addr = node.Status?.Addr ?? "";
  if (addr && addr !== "0.0.0.0") return addr;
  const manager = node.ManagerStatus?.Addr ?? "";
  return manager.slice(0, manager.lastIndexOf(":")) || addr;
}
