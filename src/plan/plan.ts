import type { TargetRef } from "../events.js";
import type { HostSpec, Manifest, RegistrySpec, ServiceSpec } from "../manifest/types.js";

/** What the plan is asked beyond the manifest and the selection (how the run goes is run/'s RunSettings). */
export interface PlanIntent {
  /** Build and replace every target, even an unchanged one (`--force-rebuild`). */
  redeploy: boolean;
  /** `deploy rollback`: deploy an existing image instead of building — the named one, or null for the previous. */
  rollbackTo?: string | null;
}

/** One service on one host, with everything its deploy needs that is known before anything is read. */
export interface TargetPlan {
  ref: TargetRef;
  service: ServiceSpec;
  host: HostSpec;
  /** The branch to deploy; for an image service, its image reference (what the status file shows). */
  branch: string;
  /** Keys of the targets whose health this target's container start waits for (only selected ones). */
  waitsFor: string[];
  /** Those of waitsFor whose container start is enough (`condition: service_started`). */
  startOnly: string[];
}

export interface DeployPlan {
  runId: string;
  project: string;
  keepImages: number;
  /** Where images of services on Swarm hosts are pushed. */
  registry?: RegistrySpec;
  intent: PlanIntent;
  /** Dependencies before dependents, then manifest order. */
  targets: TargetPlan[];
}

/**
 * Pure: the selected services of a loaded manifest, expanded to one target per host, ordered so that every
 * dependency comes before its dependents. A dependency that is not selected is assumed to be running already.
 */
export function buildPlan(
  manifest: Manifest,
  selected: readonly string[],
  branchOverride: string | undefined,
  runId: string,
  intent: PlanIntent = { redeploy: false },
): DeployPlan {
  const ordered = dependencyOrder(manifest, selected);
  const targets: TargetPlan[] = [];
  for (const name of ordered) {
    const service = manifest.services[name] as ServiceSpec;
    const keysOf = (dependencies: readonly string[]) =>
      dependencies
        .filter((dependency) => selected.includes(dependency))
        .flatMap((dependency) => {
          const depService = manifest.services[dependency] as ServiceSpec;
          return depService.hosts.map((host) => targetRef(depService, host).key);
        });
    for (const hostName of service.hosts) {
      targets.push({
        ref: targetRef(service, hostName),
        service,
        host: manifest.hosts[hostName] as HostSpec,
        // The ref on the command line names a commit of the repositories: an image service has none.
        branch: service.image ? service.image.reference : (branchOverride ?? service.branch),
        waitsFor: keysOf(service.dependsOn),
        startOnly: keysOf(service.dependsOnStarted),
      });
    }
  }
  return {
    runId,
    project: manifest.project,
    keepImages: manifest.keepImages,
    ...(manifest.registry ? { registry: manifest.registry } : {}),
    intent,
    targets,
  };
}

export function targetRef(service: ServiceSpec, host: string): TargetRef {
  const key = service.hosts.length > 1 ? `${service.name}@${host}` : service.name;
  return { service: service.name, host, key };
}

/** Depth-first topological order of the selection (cycles were refused when the manifest was loaded). */
function dependencyOrder(manifest: Manifest, selected: readonly string[]): string[] {
  const order: string[] = [];
  const visit = (name: string) => {
    if (order.includes(name) || !selected.includes(name)) return;
    for (const dependency of manifest.services[name]?.dependsOn ?? []) visit(dependency);
    order.push(name);
  };
  for (const name of Object.keys(manifest.services)) visit(name);
  return order;
}

/** A sortable, unique-enough run id from the start time: `20261123T091500Z-4f2a`. */
export function newRunId(now: Date, random: () => number = Math.random): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const suffix = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, "0");
  return `${stamp}-${suffix}`;
}
