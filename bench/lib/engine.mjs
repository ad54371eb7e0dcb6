/** The Docker engine side of the bench: cleanup of what each variant made, and waiting for /health. */
import Docker from "dockerode";
import { sleep } from "./proc.mjs";

export const docker = new Docker();

async function ignore(work) {
  try {
    await work;
  } catch {
    // already gone: cleanup is best effort
  }
}

/**
 * Removes every container and image of one variant: containers with label `label=value` or named
 * `<namePrefix>…`, images with that label or named `<imagePrefix>/…`, and networks and volumes with the label.
 */
export async function removeAll({ label, value, namePrefix, imagePrefix }) {
  const byLabel = { label: [`${label}=${value}`] };
  const containers = [
    ...(await docker.listContainers({ all: true, filters: byLabel })),
    ...(namePrefix ? await docker.listContainers({ all: true, filters: { name: [`^/${namePrefix}`] } }) : []),
  ];
  await Promise.all(
    [...new Set(containers.map((c) => c.Id))].map((id) =>
      ignore(docker.getContainer(id).remove({ force: true, v: true })),
    ),
  );
  const images = [
    ...(await docker.listImages({ filters: byLabel })),
    ...(imagePrefix ? await docker.listImages({ filters: { reference: [`${imagePrefix}/*`] } }) : []),
  ];
  for (const id of new Set(images.map((image) => image.Id))) {
    await ignore(docker.getImage(id).remove({ force: true }));
  }
  const networks = await docker.listNetworks({ filters: byLabel });
  await Promise.all(networks.map((network) => ignore(docker.getNetwork(network.Id).remove())));
  // The proxy's certificate and state volumes.
  const { Volumes } = await docker.listVolumes({ filters: byLabel });
  await Promise.all((Volumes ?? []).map((volume) => ignore(docker.getVolume(volume.Name).remove())));
}

/** Everything the tool made for `project` (it labels all it creates with io.deploy.project). */
export function removeToolProject(project) {
  return removeAll({
    label: "io.deploy.project",
    value: project,
    namePrefix: `${project}-`,
    imagePrefix: project,
  });
}

/** Containers, images and networks of a docker-compose project (the bench names its images `<project>/…`). */
export function removeComposeProject(project) {
  return removeAll({
    label: "com.docker.compose.project",
    value: project,
    namePrefix: `${project}_`,
    imagePrefix: project,
  });
}

/** What the bash baseline made: containers labelled bench.project, images `<project>/…`. */
export function removeBashProject(project) {
  return removeAll({
    label: "bench.project",
    value: project,
    namePrefix: `${project}-`,
    imagePrefix: project,
  });
}

/** Resolves when GET `url` answers 200; rejects after `timeoutMs`. Polls every `intervalMs`, as the others do. */
export async function waitHealthy(url, { intervalMs, timeoutMs = 60_000 }) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`${url} not healthy within ${timeoutMs} ms (${last})`);
    await sleep(intervalMs);
  }
}
