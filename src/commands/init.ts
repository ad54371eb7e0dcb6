import type { Argv, CommandModule } from "yargs";
import type { Io } from "../io.js";
import type { GlobalArgs } from "./manifest-option.js";

export interface InitArgs extends GlobalArgs {
  force: boolean;
}

/** `deploy init`: writes a commented starter manifest for a new project, as `kamal init` and `docker init` do. */
export function initCommand(io: Io, setExit: (code: number) => void): CommandModule<GlobalArgs, InitArgs> {
  return {
    command: "init",
    describe: "Write a commented services.yaml for a new project in this folder (or the file of -f)",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .option("force", { type: "boolean", default: false, describe: "overwrite an existing file" })
        .example("$0 init", "write ./services.yaml, then edit it and run deploy validate")
        .example("$0 init -f deploy/services.yaml", "write it elsewhere") as unknown as Argv<InitArgs>,
    handler: async (argv) => {
      const { initAction } = await import("./init-action.js");
      setExit(await initAction(argv, io));
    },
  };
}
