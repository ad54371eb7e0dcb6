import type { Argv, CommandModule } from "yargs";
import { EXIT, errorMessage, UsageError } from "../errors.js";
import type { RefKind } from "../git/refs.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { containerName } from "../labels.js";
import type { HostSpec, ServiceSpec } from "../manifest/types.js";
import { liveRelease, newestFirst, shortId } from "../plan/releases.js";
import { selectServices } from "../plan/select.js";
import { formatTable } from "../report/table.js";
import { readReleases } from "../run/releases.js";
import type { GlobalArgs } from "./manifest-option.js";
import { loadManifestOrThrow } from "./manifest-option.js";

export interface ReleasesArgs extends GlobalArgs {
  service: string;
  host?: string;
  json: boolean;
}

export function releasesCommand(
  io: Io,
  setExit: (code: number) => void,
): CommandModule<GlobalArgs, ReleasesArgs> {
  return {
    command: "releases <service>",
    describe: "The releases of a service recorded on its hosts, newest first, the live one marked",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional("service", { type: "string", describe: "the service" })
        .option("host", { type: "string", describe: "only this host, for a service on several" })
        .option("json", { type: "boolean", default: false, describe: "the releases as JSON" })
        .example("$0 releases auth-service", "what `rollback` can put back")
        .example(
          "$0 releases auth-service --json | jq '.[0].releases[1]'",
          "the release before the newest, as data",
        ) as unknown as Argv<ReleasesArgs>,
    handler: async (argv) => {
      setExit(await releasesAction(argv, io));
    },
  };
}

export interface ReleaseRow {
  live: boolean;
  created_at: string;
  tag: string;
  image_id: string;
  commit: string;
  ref: string;
  /** Null for a release recorded by a version that did not record it. */
  ref_kind: RefKind | null;
  run_id: string;
  kind: "service" | "job";
}

export interface HostReleases {
  service: string;
  host: string;
  /** Null when the host could not be asked; `error` says why. */
  releases: ReleaseRow[] | null;
  error: string | null;
}

/** `deploy releases <service>`: each host's recorded releases; exit 1 when a host could not be asked. */
export async function releasesAction(argv: ReleasesArgs, io: Io): Promise<number> {
  const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
  const [name] = selectServices(manifest, argv.service);
  const service = manifest.services[name ?? ""] as ServiceSpec;
  if (argv.host && !service.hosts.includes(argv.host)) {
    throw new UsageError(
      `${service.name} does not run on host ${argv.host}; it runs on ${service.hosts.join(", ")}`,
    );
  }
  const hostNames = argv.host ? [argv.host] : service.hosts;
  const pool = new HostPool(connectHost);
  let results: HostReleases[];
  try {
    results = await Promise.all(
      hostNames.map((host) =>
        hostReleases(pool, manifest.project, service.name, manifest.hosts[host] as HostSpec),
      ),
    );
  } finally {
    await pool.closeAll();
  }
  io.stdout.write(argv.json ? `${JSON.stringify(results, null, 2)}\n` : formatReleases(results, Date.now()));
  return results.every((result) => result.error === null) ? EXIT.ok : EXIT.failed;
}

async function hostReleases(
  pool: HostPool,
  project: string,
  service: string,
  host: HostSpec,
): Promise<HostReleases> {
  try {
    const engine = await pool.engine(host);
    const [releases, live] = await Promise.all([
      readReleases(engine, project, service),
      engine.inspectContainer(containerName(project, service)),
    ]);
    const liveImageId = host.swarm
      ? await (await import("../swarm/live.js")).swarmLiveImageId(engine, project, service)
      : live?.running
        ? live.imageId
        : null;
    const liveOne = liveRelease(releases, liveImageId);
    const rows = newestFirst(releases).map((release) => ({
      live: release === liveOne,
      created_at: release.createdAt,
      tag: release.tag,
      image_id: release.imageId,
      commit: release.commit,
      ref: release.ref,
      ref_kind: release.refKind,
      run_id: release.runId,
      kind: release.kind,
    }));
    return { service, host: host.name, releases: rows, error: null };
  } catch (error) {
    return { service, host: host.name, releases: null, error: errorMessage(error) };
  }
}

/** A table per host for people: `*` marks the live release. */
export function formatReleases(results: HostReleases[], nowMs: number): string {
  return results
    .map((result) => {
      const title = `${result.service} on host ${result.host}`;
      if (result.error !== null) return `${title}: cannot be asked: ${result.error}\n`;
      if (!result.releases?.length) return `${title}: no release recorded yet\n`;
      const rows = result.releases.map((release) => [
        release.live ? "*" : "",
        ago(nowMs - Date.parse(release.created_at)),
        release.tag,
        shortId(release.image_id),
        release.commit.slice(0, 12),
        release.ref_kind ? `${release.ref} (${release.ref_kind})` : release.ref,
        release.run_id,
      ]);
      return `${title}:\n${formatTable(["live", "age", "tag", "image", "commit", "ref", "run"], rows)}`;
    })
    .join("\n");
}

/** `42s`, `5m`, `3h`, `12d`: how long ago, as the docker CLI words it, shorter. */
export function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}
