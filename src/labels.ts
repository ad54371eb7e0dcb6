/** Labels on every container, image, network and volume the tool creates; things are found by label, never by name. */
export const LABEL = {
  project: "io.deploy.project",
  service: "io.deploy.service",
  host: "io.deploy.host",
  commit: "io.deploy.commit",
  branch: "io.deploy.branch",
  /** What the branch label's ref turned out to be: branch, tag or commit. */
  refKind: "io.deploy.ref-kind",
  runId: "io.deploy.run-id",
  /** Hash of the container's effective configuration (like Compose's config-hash): a change recreates it. */
  configHash: "io.deploy.config-hash",
  /** Hash of the build inputs (context tree, Dockerfile, target, build args): equal = the image can be reused. */
  buildHash: "io.deploy.build-hash",
  healthGate: "io.deploy.health-gate",
  /** The URL the container's HTTP gate probed: a rollback re-checks the old container where it answered. */
  healthUrl: "io.deploy.health-url",
  /** On a release record (a never-started container holding a release's image): the service it is a release of. */
  releaseOf: "io.deploy.release-of",
  releaseImageId: "io.deploy.release.image-id",
  releaseTag: "io.deploy.release.tag",
  releaseCreatedAt: "io.deploy.release.created-at",
  releaseKind: "io.deploy.release.kind",
  /** On a container behind the proxy: its alias on the proxy network, and what it asks of the proxy (JSON). */
  proxyUpstream: "io.deploy.proxy.upstream",
  proxyRoutes: "io.deploy.proxy.routes",
  /** On the proxy container: the host ports it publishes (changing them means recreating it). */
  proxyListeners: "io.deploy.proxy.listeners",
} as const;

export function proxyName(project: string): string {
  return `${project}-proxy`;
}

/** The network the proxy and the containers behind it share (DNS by alias, no published container port). */
export function proxyNetwork(project: string): string {
  return `${project}-proxy`;
}

/** The alias a container answers to on the proxy network: unique per deploy, so old and new never clash. */
export function upstreamAlias(service: string, runId: string): string {
  return `${service}--${runId.toLowerCase()}`;
}

/** The name of a release record: unique per run, so a rollback's record never collides with the original's. */
export function releaseRecordName(project: string, service: string, runId: string): string {
  return `${project}-${service}-release-${runId}`;
}

/** `<project>-<service>`: the container's name on every host it runs on. */
export function containerName(project: string, service: string): string {
  return `${project}-${service}`;
}

/** Prefix of the name a running container is renamed to while its replacement is being checked. */
export function asideNamePrefix(name: string): string {
  return `${name}-prev-`;
}

/** The name a new container is created under while the old one still holds the service's name. */
export function nextName(name: string, runId: string): string {
  return `${nextNamePrefix(name)}${runId}`;
}

export function nextNamePrefix(name: string): string {
  return `${name}-next-`;
}

/** `<project>/<service>:<commit12>`. */
export function imageTag(project: string, service: string, commit: string): string {
  return `${imageRepository(project, service)}:${commit.slice(0, 12)}`;
}

export function imageRepository(project: string, service: string): string {
  return `${project}/${service}`;
}
