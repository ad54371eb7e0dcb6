import type { Argv, CommandModule } from "yargs";
import type { Io } from "../io.js";
import type { GlobalArgs } from "./manifest-option.js";
import type { RunArgs } from "./run-options.js";

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
      const { logsAction } = await import("./logs-action.js");
      setExit(await logsAction(argv, io));
    },
  };
}
