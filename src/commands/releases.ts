import type { Argv, CommandModule } from "yargs";
import type { Io } from "../io.js";
import type { GlobalArgs } from "./manifest-option.js";

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
      const { releasesAction } = await import("./releases-action.js");
      setExit(await releasesAction(argv, io));
    },
  };
}
