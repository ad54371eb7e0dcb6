import type { Argv, CommandModule } from "yargs";
import type { Io } from "../io.js";
import type { GlobalArgs } from "./manifest-option.js";

/** `deploy unlock`: removes a stuck project lock here and on every host of the manifest, saying whose it was. */
export function unlockCommand(
  io: Io,
  setExit: (code: number) => void,
): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: "unlock",
    describe: "Remove a stuck deploy lock of this project (here and on every host)",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs.example("$0 unlock", "after a deploy was killed on another machine"),
    handler: async (argv) => {
      const { unlockAction } = await import("./unlock-action.js");
      setExit(await unlockAction(argv, io));
    },
  };
}
