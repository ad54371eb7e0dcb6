import type { Argv, CommandModule } from "yargs";
import type { Io } from "../io.js";
import type { GlobalArgs } from "./manifest-option.js";
import type { UnlockArgs } from "./unlock-action.js";

/** `deploy unlock`: removes a stuck project lock here and on every host of the manifest, saying whose it was. */
export function unlockCommand(
  io: Io,
  setExit: (code: number) => void,
): CommandModule<GlobalArgs, UnlockArgs> {
  return {
    command: "unlock",
    describe: "Remove a stuck deploy lock of this project (here and on every host) whose holder is gone",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .option("force", {
          type: "boolean",
          describe: "remove it even while its holder runs (that deploy stops and rolls back)",
        })
        .example("$0 unlock", "after a deploy was killed on this machine")
        .example("$0 unlock --force", "after a deploy was killed on another machine or CI runner"),
    handler: async (argv) => {
      const { unlockAction } = await import("./unlock-action.js");
      setExit(await unlockAction(argv, io));
    },
  };
}
