import type { Argv, CommandModule } from "yargs";
import type { Io } from "../io.js";
import type { GlobalArgs } from "./manifest-option.js";
import type { RunArgs } from "./run-options.js";

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
      const { statusAction } = await import("./status-action.js");
      setExit(await statusAction(argv, io));
    },
  };
}
