import type { Engine, ListedContainer } from "../docker/engine.js";
import { buildHash, configHash } from "../docker/specs.js";
import { inPhase } from "../errors.js";
import type { FetchedRevision } from "../git/repo-cache.js";
import { RepoCache } from "../git/repo-cache.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import { containerName, imageTag } from "../labels.js";
import type { HostSpec, ServiceSpec } from "../manifest/types.js";
import type { Observed, Wanted } from "../plan/decide.js";
import type { DeployPlan, TargetPlan } from "../plan/plan.js";
import type { TargetObservation } from "../plan/preview.js";
import { observedService } from "../swarm/observe.js";
import { swarmConfigHash, swarmImageTag, swarmServiceName } from "../swarm/spec.js";
import { RunRepos } from "./run-repos.js";

/** A container as decide() reads it. */
export type ObservedContainer = NonNullable<Observed["current"]>;

/** Where one target's container and images are read from, without changing anything. */
export interface HostReader<C extends ObservedContainer> {
  container(name: string, kind: "service" | "job"): Promise<C | null>;
  imageLabels(tag: string): Promise<Record<string, string> | null>;
}

/** How a target's image is named and its configuration hashed: a container's, or a Swarm service's. */
export interface TargetNaming {
  image(commit: string): string;
  configHash: string;
}

/** One observation with the decision inputs the manifest and the commit give: what decide() takes. */
export interface Observation<C extends ObservedContainer> {
  revision: FetchedRevision;
  /** The image the commit builds. */
  image: string;
  /** decide()'s `wanted`, all but the run's own settings. */
  wanted: Omit<Wanted, "force">;
  observed: { current: C | null; existingImage: Record<string, string> | null };
}

/**
 * The read-only half of a deploy from git, shared by `deploy` and `deploy plan` so that both decide from the
 * same facts: fetch the ref while the host is asked for the service's container, then look up the image the
 * commit builds. A fetch fails in phase `git`, the host's answers in phase `deploy`.
 */
export async function observeTarget<C extends ObservedContainer>(
  project: string,
  target: TargetPlan,
  repos: RunRepos,
  host: HostReader<C>,
  options: { naming?: TargetNaming; onFetched?: (revision: FetchedRevision) => void } = {},
): Promise<Observation<C>> {
  const { service } = target;
  const naming = options.naming ?? containerNaming(project, service);
  const [revision, current] = await Promise.all([
    repos.fetch(repoOf(service), target.branch, service.context, service.gitTimeoutMs).then(
      (fetched) => {
        options.onFetched?.(fetched);
        return fetched;
      },
      (error: unknown) => {
        throw inPhase("git", error);
      },
    ),
    host.container(containerName(project, service.name), service.kind).catch((error: unknown) => {
      throw inPhase("deploy", error);
    }),
  ]);
  const image = naming.image(revision.commit);
  const existingImage = await host.imageLabels(image).catch((error: unknown) => {
    throw inPhase("deploy", error);
  });
  return {
    revision,
    image,
    wanted: {
      commit: revision.commit,
      buildHash: buildHash({ service, contextTree: revision.contextTree }),
      configHash: naming.configHash,
      kind: service.kind,
    },
    observed: { current, existingImage },
  };
}

/** The repository of a service built from git (the manifest gives every service exactly one of repo and image). */
export function repoOf(service: ServiceSpec): string {
  if (service.repo === undefined) throw new Error(`${service.name} has no repo: it is an image service`);
  return service.repo;
}

function containerNaming(project: string, service: ServiceSpec): TargetNaming {
  return { image: (commit) => imageTag(project, service.name, commit), configHash: configHash(service) };
}

/** A Swarm service's image goes through the registry; its configuration hash includes the registry. */
export function swarmNaming(plan: DeployPlan, service: ServiceSpec): TargetNaming {
  const registry = plan.registry;
  if (!registry) throw new Error("a Swarm service needs the manifest's `registry`");
  return {
    image: (commit) => swarmImageTag(registry, plan.project, service.name, commit),
    configHash: swarmConfigHash(service, registry),
  };
}

/**
 * Every target of a plan observed, for `deploy plan` and `--dry-run`: each host is asked once for the whole plan
 * (see HostSnapshots), each ref fetched once (RunRepos). A target that cannot be observed keeps its error.
 */
export async function observePlan(
  plan: DeployPlan,
  hosts: HostPool,
  repos: RunRepos,
): Promise<Map<string, TargetObservation>> {
  const snapshots = new HostSnapshots(plan.project, hosts);
  const observations = await Promise.all(
    plan.targets.map(async (target): Promise<[string, TargetObservation]> => {
      try {
        return [target.ref.key, await observeForPlan(plan, target, snapshots, hosts, repos)];
      } catch (error) {
        return [target.ref.key, { ok: false, error }];
      }
    }),
  );
  return new Map(observations);
}

async function observeForPlan(
  plan: DeployPlan,
  target: TargetPlan,
  snapshots: HostSnapshots,
  hosts: HostPool,
  repos: RunRepos,
): Promise<TargetObservation> {
  const { service } = target;
  if (target.host.swarm) {
    // A Swarm service is built from git (the manifest refuses image services on a Swarm); it is inspected.
    const naming = swarmNaming(plan, service);
    const engine = await hosts.engine(target.host);
    const swarm = engine.swarm();
    const reader: HostReader<ObservedContainer> = {
      container: async () =>
        (await observedService(swarm, swarmServiceName(plan.project, service.name)))?.observed ?? null,
      imageLabels: (tag) => engine.imageLabels(tag),
    };
    return built(await observeTarget(plan.project, target, repos, reader, { naming }));
  }
  const reader = snapshots.reader(target.host);
  if (service.image) {
    // An image service: the host's copy of its reference is inspected, never pulled (a plan changes nothing).
    const [local, current] = await Promise.all([
      snapshots.localImageId(target.host, service.image.reference),
      reader.container(containerName(plan.project, service.name), service.kind),
    ]);
    return { ok: true, source: "pulled", localImageId: local, configHash: configHash(service), current };
  }
  return built(await observeTarget(plan.project, target, repos, reader));
}

function built({ revision, image, wanted, observed }: Observation<ObservedContainer>): TargetObservation {
  return { ok: true, source: "built", refKind: revision.kind, image, wanted, observed };
}

/** observePlan over host connections and a repository cache of its own, closed when done (`deploy plan`). */
export async function observePlanOnce(
  plan: DeployPlan,
  cacheDir: string,
): Promise<Map<string, TargetObservation>> {
  const hosts = new HostPool(connectHost);
  try {
    return await observePlan(plan, hosts, new RunRepos(new RepoCache(cacheDir)));
  } finally {
    await hosts.closeAll();
  }
}

/**
 * What each host runs of the project, asked once per host for the whole plan (two list calls, however many
 * services) rather than with two inspections per target: for 50 services those cost about 100 ms of this
 * process's CPU. A container the list shows not running is inspected, for what stopped it (as the deploy does).
 */
class HostSnapshots {
  readonly #byHost = new Map<string, Promise<HostSnapshot>>();

  constructor(
    private readonly project: string,
    private readonly hosts: HostPool,
  ) {}

  reader(host: HostSpec): HostReader<ObservedContainer> {
    return {
      container: async (name, kind) => {
        const snapshot = await this.of(host);
        const listed = snapshot.containers.get(name);
        if (!listed) return null;
        // A job's exit code, and why a service is not running, are only in the inspection.
        if (listed.running && kind === "service") return { ...listed, exitCode: 0 };
        return snapshot.engine.inspectContainer(name);
      },
      imageLabels: async (tag) => (await this.of(host)).images.get(tag) ?? null,
    };
  }

  /** The id of the host's copy of an image reference (`redis:7`), or null when it has none. */
  async localImageId(host: HostSpec, reference: string): Promise<string | null> {
    const { engine } = await this.of(host);
    return (await engine.inspectImage(reference))?.id ?? null;
  }

  of(host: HostSpec): Promise<HostSnapshot> {
    let snapshot = this.#byHost.get(host.name);
    if (!snapshot) {
      snapshot = this.hosts.engine(host).then(async (engine) => {
        const [containers, images] = await Promise.all([
          engine.containersByPrefix(`${this.project}-`),
          engine.imageLabelsUnder(this.project),
        ]);
        return { engine, containers, images };
      });
      this.#byHost.set(host.name, snapshot);
    }
    return snapshot;
  }
}

interface HostSnapshot {
  engine: Engine;
  containers: Map<string, ListedContainer>;
  images: Map<string, Record<string, string>>;
}
