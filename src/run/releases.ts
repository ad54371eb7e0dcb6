import type { Engine } from "../docker/engine.js";
import { releaseFromRecord, releaseRecordOptions } from "../docker/release-record.js";
import type { ContainerInputs } from "../docker/specs.js";
import { configHash } from "../docker/specs.js";
import type { Release } from "../release.js";

/** The service's releases recorded on this engine (unordered; damaged records are left out). */
export async function readReleases(engine: Engine, project: string, service: string): Promise<Release[]> {
  const records = await engine.releaseRecords(project, service);
  return records.flatMap((record) => releaseFromRecord(record.id, record.labels) ?? []);
}

/** Records that `inputs` passed its gate and went live now, holding its image by id. */
export async function recordRelease(
  engine: Engine,
  inputs: ContainerInputs,
  imageId: string,
  createdAt: Date,
): Promise<Release> {
  const release = {
    imageId,
    tag: inputs.image,
    commit: inputs.commit,
    ref: inputs.branch,
    refKind: inputs.refKind,
    createdAt: createdAt.toISOString(),
    runId: inputs.runId,
    configHash: configHash(inputs.service),
    buildHash: inputs.buildHash,
    kind: inputs.service.kind,
  };
  const recordId = await engine.createContainer(
    releaseRecordOptions(inputs.project, inputs.host, inputs.service.name, release),
  );
  return { ...release, recordId };
}
