import type {
  ContainerCreateOptions,
  ContainerState,
  Engine,
  ListedContainer,
} from "../../../src/docker/engine.js";

interface FakeContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  running: boolean;
  exitCode: number;
  restartCount: number;
}

/**
 * An engine of containers in memory, for the steps of a deploy: create, start, stop, rename, remove, inspect.
 * `calls` lists every changing call in order; `failStart` and `crashOnStart` (by image) make starts fail or the
 * started container exit at once. Everything else a deploy never asks of it here throws.
 */
export class FakeEngine implements Engine {
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: string[] = [];
  /** Images whose containers cannot start (the engine refuses). */
  readonly failStart = new Set<string>();
  /** Images whose containers exit with code 1 as soon as they start. */
  readonly crashOnStart = new Set<string>();
  #next = 0;

  /** A container that already runs, as a previous deploy left it. */
  run(name: string, image: string, labels: Record<string, string> = {}): ContainerState {
    const id = `old${++this.#next}`.padEnd(64, "0");
    this.containers.set(id, { id, name, image, labels, running: true, exitCode: 0, restartCount: 0 });
    return this.#state(id);
  }

  /** Name → image of every container, running or not. */
  get byName(): Record<string, { image: string; running: boolean }> {
    return Object.fromEntries(
      [...this.containers.values()].map((c) => [c.name, { image: c.image, running: c.running }]),
    );
  }

  #find(nameOrId: string): FakeContainer | undefined {
    return this.containers.get(nameOrId) ?? [...this.containers.values()].find((c) => c.name === nameOrId);
  }

  #state(id: string): ContainerState {
    const c = this.containers.get(id) as FakeContainer;
    return {
      ...c,
      imageId: `sha256:${c.image}`,
      restarting: false,
      startedAt: "2026-01-01T00:00:00Z",
      addresses: {},
    };
  }

  #must(id: string): FakeContainer {
    const container = this.#find(id);
    if (!container) throw Object.assign(new Error(`no such container: ${id}`), { statusCode: 404 });
    return container;
  }

  async createContainer(options: ContainerCreateOptions): Promise<string> {
    const name = options.name ?? "";
    if (this.#find(name)) throw Object.assign(new Error(`name ${name} is in use`), { statusCode: 409 });
    const id = `new${++this.#next}`.padEnd(64, "0");
    this.containers.set(id, {
      id,
      name,
      image: options.Image ?? "",
      labels: options.Labels ?? {},
      running: false,
      exitCode: 0,
      restartCount: 0,
    });
    this.calls.push(`create ${name}`);
    return id;
  }

  async start(id: string): Promise<void> {
    const container = this.#must(id);
    this.calls.push(`start ${container.name}`);
    if (this.failStart.has(container.image)) throw new Error("port is already allocated");
    container.running = !this.crashOnStart.has(container.image);
    container.exitCode = container.running ? 0 : 1;
  }

  async stop(id: string): Promise<void> {
    const container = this.#must(id);
    this.calls.push(`stop ${container.name}`);
    container.running = false;
  }

  async rename(id: string, name: string): Promise<void> {
    const container = this.#must(id);
    this.calls.push(`rename ${container.name} → ${name}`);
    container.name = name;
  }

  async remove(id: string): Promise<void> {
    const container = this.#find(id);
    if (!container) return;
    this.calls.push(`remove ${container.name}`);
    this.containers.delete(container.id);
  }

  async inspectContainer(nameOrId: string): Promise<ContainerState | null> {
    const container = this.#find(nameOrId);
    return container ? this.#state(container.id) : null;
  }

  async ensureNetwork(): Promise<void> {}
  async connectNetwork(): Promise<void> {}
  async logTail(): Promise<string> {
    return "";
  }

  async cpus(): Promise<number> {
    return 2;
  }
  async ping(): Promise<void> {}

  build(): never {
    throw new Error("not faked: build");
  }
  imageLabels(): never {
    throw new Error("not faked: imageLabels");
  }
  containersByPrefix(): Promise<Map<string, ListedContainer>> {
    throw new Error("not faked: containersByPrefix");
  }
  imageLabelsUnder(): never {
    throw new Error("not faked: imageLabelsUnder");
  }
  serviceImages(): never {
    throw new Error("not faked: serviceImages");
  }
  inspectImage(): never {
    throw new Error("not faked: inspectImage");
  }
  tagImage(): never {
    throw new Error("not faked: tagImage");
  }
  releaseRecords(): never {
    throw new Error("not faked: releaseRecords");
  }
  removeImage(): never {
    throw new Error("not faked: removeImage");
  }
  serviceContainers(): never {
    throw new Error("not faked: serviceContainers");
  }
  projectContainersWith(): never {
    throw new Error("not faked: projectContainersWith");
  }
  putFile(): never {
    throw new Error("not faked: putFile");
  }
  exec(): never {
    throw new Error("not faked: exec");
  }
  wait(): never {
    throw new Error("not faked: wait");
  }
  logs(): never {
    throw new Error("not faked: logs");
  }
  followLogs(): never {
    throw new Error("not faked: followLogs");
  }
  createRecordNetwork(): never {
    throw new Error("not faked: createRecordNetwork");
  }
  findNetwork(): never {
    throw new Error("not faked: findNetwork");
  }
  removeNetwork(): never {
    throw new Error("not faked: removeNetwork");
  }
  pull(): never {
    throw new Error("not faked: pull");
  }
  repositoryImages(): never {
    throw new Error("not faked: repositoryImages");
  }
  swarm(): never {
    throw new Error("not faked: swarm");
  }
}
