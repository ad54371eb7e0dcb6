import type { Argv, CommandModule } from "yargs";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { selectServices } from "../plan/select.js";
import type { GlobalArgs } from "./manifest-option.js";
import { type RunArgs, runSettingsOf, withRunOptions } from "./run-options.js";

interface RollbackArgs extends GlobalArgs, RunArgs {
  service: string;
  to?: string;
}

/** `deploy rollback <service> [--to IMAGE]`: the normal health-gated replace, with an image that already exists. */
export function rollbackCommand(
  io: Io,
  argvWords: readonly string[],
  setExit: (code: number) => void,
): CommandModule<GlobalArgs, RollbackArgs> {
  return {
    command: "rollback <service>",
    describe: "Put the release live before the current one (or a named one) back, with the same health gate",
    builder: (yargs: Argv<GlobalArgs>) =>
      withRunOptions(yargs)
        .positional("service", { type: "string", describe: "the service to roll back" })
        .option("to", {
          type: "string",
          describe: "a release's tag, commit or image id, abbreviated or not (see `deploy releases`)",
        })
        .example("$0 rollback auth-service", "back to the release live before the current one")
        .example(
          "$0 rollback auth-service --to 0123456",
          "to the release of that commit",
        ) as unknown as Argv<RollbackArgs>,
    handler: async (argv: RollbackArgs) => {
      // Loaded on use: `--help` and usage errors stay quick without the engine, git and manifest libraries.
      const { loadManifestOrThrow } = await import("./manifest-option.js");
      const { runDeploy } = await import("./run-deploy.js");
      const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
      if (argv.service.includes(",") || argv.service === "all") {
        throw new UsageError("rollback takes one service at a time");
      }
      const selected = selectServices(manifest, argv.service);
      setExit(
        await runDeploy({
          manifest,
          selected,
          intent: { redeploy: false, rollbackTo: argv.to ?? null },
          settings: {
            concurrency: Number.MAX_SAFE_INTEGER,
            noRollback: false,
            failFast: false,
            noCache: false,
          },
          ...runSettingsOf(argv, manifest, io),
          command: ["deploy", ...argvWords],
          summaryOptions: { rollback: argv.service, to: argv.to ?? null, file: argv.file },
        }),
      );
    },
  };
}
