import type Dockerode from "dockerode";
import { REF_KINDS, type RefKind } from "../git/refs.js";
import { LABEL, releaseRecordName } from "../labels.js";
import type { Release } from "../release.js";

/**
 * A release is recorded on its host as a container that is created and never started: its labels hold the
 * release, and its image reference holds the image by id. Why a container: the engine keeps it with no extra
 * service or file, every deployer of the host lists it by label, and the engine refuses to remove an image a
 * container uses — so a release's image survives `docker rmi` and a `--force-rebuild` that moves its tag.
 * (`docker container prune` removes records too: that forgets the history, it breaks nothing.)
 */
export function releaseRecordOptions(
  project: string,
  host: string,
  service: string,
  release: Omit<Release, "recordId">,
): Dockerode.ContainerCreateOptions {
  return {
    name: releaseRecordName(project, service, release.runId),
    Image: release.imageId,
    // Never started; an entrypoint is set only because the engine refuses to create a container without one.
    Entrypoint: ["true"],
    Cmd: [],
    Labels: {
      // A container inherits its image's labels: blanking the service label keeps records out of every lookup
      // of the service's containers (the tool's and the operator's `docker ps --filter label=…`).
      [LABEL.service]: "",
      [LABEL.project]: project,
      [LABEL.host]: host,
      [LABEL.releaseOf]: service,
      [LABEL.releaseImageId]: release.imageId,
      [LABEL.releaseTag]: release.tag,
      [LABEL.releaseCreatedAt]: release.createdAt,
      [LABEL.releaseKind]: release.kind,
      [LABEL.commit]: release.commit,
      [LABEL.branch]: release.ref,
      [LABEL.refKind]: release.refKind ?? "",
      [LABEL.runId]: release.runId,
      [LABEL.configHash]: release.configHash,
      [LABEL.buildHash]: release.buildHash,
    },
    HostConfig: { NetworkMode: "none", RestartPolicy: { Name: "no" } },
  };
}

/** The release a record's labels describe, or null for a record too damaged to trust. */
export function releaseFromRecord(recordId: string, labels: Record<string, string>): Release | null {
  const imageId = labels[LABEL.releaseImageId];
  const tag = labels[LABEL.releaseTag];
  const createdAt = labels[LABEL.releaseCreatedAt];
  const runId = labels[LABEL.runId];
  if (!imageId || !tag || !createdAt || !runId) return null;
  return {
    recordId,
    imageId,
    tag,
    commit: labels[LABEL.commit] ?? "",
    ref: labels[LABEL.branch] ?? "",
    refKind: refKindOf(labels[LABEL.refKind]),
    createdAt,
    runId,
    configHash: labels[LABEL.configHash] ?? "",
    buildHash: labels[LABEL.buildHash] ?? "",
    kind: labels[LABEL.releaseKind] === "job" ? "job" : "service",
  };
}

function refKindOf(label: string | undefined): RefKind | null {
  return REF_KINDS.find((kind) => kind === label) ?? null;
}
