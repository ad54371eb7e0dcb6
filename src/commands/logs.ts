import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Argv, CommandModule } from "yargs";
import { EXIT, UsageError } from "../errors.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { containerName } from "../labels.js";
import type { Manifest, ServiceSpec } from "../manifest/types.js";
import { targetRef } from "../plan/plan.js";
import { selectServices } from "../plan/select.js";
import type { GlobalArgs } from "./manifest-option.js";
import { loadManifestOrThrow } from "./manifest-option.js";
import type { RunArgs } from "./run-options.js";
import { logsDirOf } from "./run-options.js";

export interface LogsArgs extends GlobalArgs, Pick<RunArgs, "logsDir"> {
  service: string;
  host?: string;
  follow: boolean;
  tail?: number;
  since?: string;
  /** `--run` alone = the last run (""); `--run ID` = that run. */
  run?: string;
}

export function logsCommand(io: Io, setExit: (code: number) => void): CommandModule<GlobalArgs, LogsArgs> {
  return {
    command: "logs <service>",
    describe: "The service container's output, or with --run the deploy log of a run",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional("service", { type: "string", describe: "the service" })
        .option("host", { type: "string", describe: "which host, for a service on several" })
        .option("follow", { type: "boolean", default: false, describe: "keep streaming new output" })
        .option("tail", { type: "number", describe: "only the last N lines" })
        .option("since", { type: "string", describe: "only output since a time (RFC 3339 or unix seconds)" })
        .option("run", {
          type: "string",
          describe: "print a deploy run's section of the service log (default: last)",
        })
        .option("logs-dir", {
          type: "string",
          describe: "where the log files are (default: logs/ beside the manifest)",
        })
        .example("$0 logs auth-service --tail 50 --follow", "the container's recent and new output")
        .example("$0 logs auth-service --run", "what the last deploy of it did") as unknown as Argv<LogsArgs>,
    handler: async (argv) => {
      setExit(await logsAction(argv, io));
    },
  };
}

export async function logsAction(argv: LogsArgs, io: Io): Promise<number> {
  const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
  const [name] = selectServices(manifest, argv.service);
  const service = manifest.services[name ?? ""] as ServiceSpec;
  const host = pickHost(service, argv.host);
  if (argv.run !== undefined) {
    return await printRunSection(
      join(logsDirOf(argv, manifest, io), `${targetRef(service, host).key}.log`),
      argv.run,
      io,
    );
  }
  return await streamContainerLogs(manifest, service, host, argv, io);
}

function pickHost(service: ServiceSpec, requested: string | undefined): string {
  if (requested) {
    if (!service.hosts.includes(requested)) {
      throw new UsageError(
        `${service.name} does not run on host ${requested}; it runs on ${service.hosts.join(", ")}`,
      );
    }
    return requested;
  }
  if (service.hosts.length > 1)
    throw new UsageError(`${service.name} runs on ${service.hosts.join(", ")}: pick one with --host`);
  return service.hosts[0] as string;
}

/** Prints one run's section of a service's log file: from its header line to the next run's header. */
async function printRunSection(file: string, runId: string, io: Io): Promise<number> {
  const text = await readFile(file, "utf8").catch(() => null);
  if (text === null) throw new UsageError(`no deploy log at ${file}`);
  const section = runSection(text, runId);
  if (section === null) throw new UsageError(`run ${runId} is not in ${file}`);
  io.stdout.write(section);
  return EXIT.ok;
}

/** Pure: the section of a log file written by run `runId` (or by the last run when `runId` is ""). */
export function runSection(text: string, runId: string): string | null {
  const headers = [...text.matchAll(/^==== run (\S+) .*$/gm)];
  const index = runId === "" ? headers.length - 1 : headers.findIndex((header) => header[1] === runId);
  const header = headers[index];
  if (!header || header.index === undefined) return null;
  const end = headers[index + 1]?.index ?? text.length;
  return text.slice(header.index, end);
}

async function streamContainerLogs(
  manifest: Manifest,
  service: ServiceSpec,
  hostName: string,
  argv: LogsArgs,
  io: Io,
): Promise<number> {
  const pool = new HostPool(connectHost);
  try {
    const host = manifest.hosts[hostName] as NonNullable<Manifest["hosts"][string]>;
    const engine = await pool.engine(host);
    // A Swarm service's logs are every task's, on every node, as `docker service logs` gives them.
    const name = host.swarm
      ? (await import("../swarm/spec.js")).swarmServiceName(manifest.project, service.name)
      : containerName(manifest.project, service.name);
    const options = {
      ...(host.swarm ? { swarmService: true } : {}),
      ...(argv.tail !== undefined ? { tail: argv.tail } : {}),
      ...(argv.since ? { since: sinceSeconds(argv.since) } : {}),
    };
    if (!argv.follow) {
      io.stdout.write(await engine.logs(name, options));
      return EXIT.ok;
    }
    const following = await engine.followLogs(name, options, io.stdout, io.stderr);
    process.once("SIGINT", following.stop);
    await following.done;
    return EXIT.ok;
  } finally {
    await pool.closeAll();
  }
}

function sinceSeconds(since: string): number {
  if (/^\d+$/.test(since)) return Number(since);
  const time = Date.parse(since);
  if (Number.isNaN(time))
    throw new UsageError(`--since: expected an RFC 3339 time or unix seconds, got ${since}`);
  return Math.floor(time / 1000);
}
