import type { Argv, CommandModule } from "yargs";
import type { Io } from "../io.js";
import type { GlobalArgs } from "./manifest-option.js";

export function validateCommand(
  io: Io,
  setExit: (code: number) => void,
): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: "validate",
    describe: "Check the manifest and print every problem in it (exit 0 or 2)",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs.example("$0 validate -f deploy/services.yaml", "check another manifest"),
    handler: async (argv) => {
      const { loadManifestOrThrow } = await import("./manifest-option.js");
      const { unmaskedValueWarnings } = await import("./mask-warnings.js");
      const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
      for (const warning of unmaskedValueWarnings(manifest)) io.stderr.write(`deploy: warning: ${warning}\n`);
      const services = Object.keys(manifest.services);
      io.stdout.write(
        `${manifest.file}: valid; project ${manifest.project}, services: ${services.join(", ")}\n`,
      );
      setExit(0);
    },
  };
}
