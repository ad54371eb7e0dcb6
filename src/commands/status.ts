import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Argv, CommandModule } from "yargs";
import { systemClock } from "../clock.js";
import { EXIT, errorMessage } from "../errors.js";
import type { StatusRecord } from "../events.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { containerName, LABEL } from "../labels.js";
import { buildPlan, newRunId, type TargetPlan } from "../plan/plan.js";
import { selectServices } from "../plan/select.js";
import type { ProxyState } from "../proxy/proxy.js";
import { formatTable } from "../report/table.js";
import { waitHealthy } from "../run/gate.js";
import { readReleases } from "../run/releases.js";
import type { GlobalArgs } from "./manifest-option.js";
import { loadManifestOrThrow } from "./manifest-option.js";
import type { RunArgs } from "./run-options.js";
import { logsDirOf } from "./run-options.js";

export interface StatusArgs extends GlobalArgs, Pick<RunArgs, "logsDir"> {
  services: string;
  json: boolean;
}

export function statusCommand(
  io: Io,
  setExit: (code: number) => void,
): CommandModule<GlobalArgs, StatusArgs> {
  return {
    command: "status [services]",
    describe:
      "One row per service and host: last run, running image and commit, health now (exit 1 if any is down)",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional("services", { type: "string", default: "all", describe: "`all` or a comma list" })
        .option("json", { type: "boolean", default: false, describe: "the rows as JSON" })
        .option("logs-dir", {
          type: "string",
          describe: "where the status files are (default: logs/ beside the manifest)",
        })
        .example("$0 status", "what is deployed where, and is it healthy")
        .example(
          "$0 status auth-service --json | jq .",
          "as data, for a monitoring check",
        ) as unknown as Argv<StatusArgs>,
    handler: async (argv) => {
      setExit(await statusAction(argv, io));
    },
  };
}

export interface ServiceStatusRow {
  service: string;
  host: string;
  last_state: string | null;
  last_run_id: string | null;
  last_finished_at: string | null;
  last_error: string | null;
  running: boolean;
  image: string | null;
  commit: string | null;
  up_since: string | null;
  /** The host's proxy, for a service behind it. */
  proxy: ProxyState | null;
  /** Releases recorded on the host (what `rollback` can put back, the live one included). */
  releases: number | null;
  /** A Swarm service's replicas, and the nodes (by id) running them. */
  replicas?: { desired: number; running: number };
  nodes?: string[];
  /** "healthy", "unhealthy: …", "no gate", "not running", or "unknown: …" when the host cannot be reached. */
  health: string;
  healthy: boolean;
}

/** One live health check, quicker than a deploy's gate: the container is up, and the probe answers now. */
const STATUS_PROBE = { intervalMs: 200, timeoutMs: 1 };

export async function statusAction(argv: StatusArgs, io: Io): Promise<number> {
  const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
  const selected = selectServices(manifest, argv.services);
  const plan = buildPlan(manifest, selected, undefined, newRunId(new Date()));
  const logsDir = logsDirOf(argv, manifest, io);
  const hosts = new HostPool(connectHost);
  let rows: ServiceStatusRow[];
  try {
    rows = await Promise.all(plan.targets.map((target) => statusOf(target, plan.project, logsDir, hosts)));
  } finally {
    await hosts.closeAll();
  }
  io.stdout.write(argv.json ? `${JSON.stringify(rows, null, 2)}\n` : formatStatus(rows));
  return rows.every((row) => row.healthy) ? EXIT.ok : EXIT.failed;
}

async function statusOf(
  target: TargetPlan,
  project: string,
  logsDir: string,
  hosts: HostPool,
): Promise<ServiceStatusRow> {
  const last = await readStatusFile(join(logsDir, `${target.ref.key}.status.json`));
  const row: ServiceStatusRow = {
    service: target.service.name,
    host: target.host.name,
    last_state: last?.state ?? null,
    last_run_id: last?.run_id ?? null,
    last_finished_at: last?.finished_at ?? null,
    last_error: last?.error ? `[${last.error.phase}] ${last.error.message.split("\n")[0]}` : null,
    running: false,
    image: null,
    commit: null,
    up_since: null,
    releases: null,
    proxy: null,
    health: "not running",
    healthy: false,
  };
  try {
    const connection = await hosts.connection(target.host);
    // Loaded on use (it reads the manifest's defaults, with the schema library): --help starts without it.
    const { proxyState } = await import("../proxy/proxy.js");
    const [container, releases, proxy] = await Promise.all([
      connection.engine.inspectContainer(containerName(project, target.service.name)),
      readReleases(connection.engine, project, target.service.name),
      target.service.proxy ? proxyState(connection.engine, project) : null,
    ]);
    row.releases = releases.length;
    row.proxy = proxy;
    if (target.host.swarm) {
      const { swarmStatus } = await import("../swarm/status.js");
      return {
        ...row,
        ...(await swarmStatus(connection.engine, project, target.service, connection.httpDispatcher)),
      };
    }
    if (target.service.proxy && !proxy?.running) {
      return {
        ...row,
        health: `proxy ${proxy ? "not running" : "missing"}: its published ports answer nothing`,
      };
    }
    if (!container) return { ...row, health: "no container" };
    Object.assign(row, {
      running: container.running,
      image: container.image,
      commit: container.labels[LABEL.commit] || null,
      up_since: container.running ? container.startedAt : null,
    });
    if (!container.running) return { ...row, health: `not running (exit code ${container.exitCode})` };
    if (target.service.health.kind === "none")
      return { ...row, health: "running (no health gate)", healthy: true };
    const service = { ...target.service, health: withQuickTiming(target.service.health) };
    const gate = await waitHealthy({
      engine: connection.engine,
      containerId: container.id,
      service,
      httpDispatcher: connection.httpDispatcher,
      knownRestarts: container.restartCount,
      clock: systemClock,
    });
    return gate.ok
      ? { ...row, health: "healthy", healthy: true }
      : { ...row, health: `unhealthy: ${gate.message.split("\n")[0]}` };
  } catch (error) {
    return { ...row, health: `unknown: ${errorMessage(error)}` };
  }
}

function withQuickTiming(health: TargetPlan["service"]["health"]): TargetPlan["service"]["health"] {
  if (health.kind === "http") return { ...health, ...STATUS_PROBE, startPeriodMs: 0 };
  if (health.kind === "docker") return { ...health, ...STATUS_PROBE };
  if (health.kind === "running") return { ...health, durationMs: 1 };
  return health;
}

async function readStatusFile(path: string): Promise<StatusRecord | null> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as StatusRecord;
  } catch {
    return null;
  }
}

function formatStatus(rows: ServiceStatusRow[]): string {
  const header = ["service", "host", "health", "image", "up since", "releases", "last run"];
  const cells = rows.map((row) => [
    row.service,
    row.host,
    row.health,
    row.image ?? "-",
    row.up_since?.replace(/\.\d+Z$/, "Z") ?? "-",
    row.releases === null ? "-" : String(row.releases),
    row.last_state
      ? `${row.last_state} ${row.last_finished_at?.replace(/\.\d+Z$/, "Z") ?? ""}${row.last_error ? ` ${row.last_error}` : ""}`
      : "-",
  ]);
  const proxies = new Map(
    rows.flatMap((row) =>
      row.proxy ? [[`${row.proxy.name}@${row.host}`, { ...row.proxy, host: row.host }]] : [],
    ),
  );
  const lines = [...proxies.values()].map(
    (proxy) =>
      `proxy ${proxy.name} on host ${proxy.host}: ${proxy.running ? `up since ${proxy.up_since?.replace(/\.\d+Z$/, "Z")}` : "DOWN"}, ${proxy.image}; ${proxy.routes.join(", ") || "no routes"}\n`,
  );
  return formatTable(header, cells) + lines.join("");
}
