import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import type { Io } from "../io.js";
import { selectServices } from "../plan/select.js";
import type { GlobalArgs } from "./manifest-option.js";
import { branchAfterDashes, refArgument } from "./ref-argument.js";
import {
  concurrencyOf,
  forceRebuildMeans,
  type RunArgs,
  runSettingsOf,
  withRunOptions,
} from "./run-options.js";

export interface DeployArgs extends GlobalArgs, RunArgs {
  services: string;
  branch?: string;
  forceRebuild: boolean;
  failFast: boolean;
  rollback: boolean;
  dryRun: boolean;
}

export function deployCommand(
  io: Io,
  argvWords: readonly string[],
  setExit: (code: number) => void,
): CommandModule<GlobalArgs, DeployArgs> {
  return {
    command: "$0 <services> [branch]",
    describe: "Fetch, build and deploy services (all, or a comma list), health-gated",
    builder: (yargs: Argv<GlobalArgs>) =>
      withRunOptions(yargs)
        .positional("services", {
          type: "string",
          describe: "`all` or a comma list: auth-service,user-service",
        })
        .positional("branch", {
          type: "string",
          describe: "branch, tag or commit for every selected service (default: manifest's branch)",
          coerce: refArgument,
        })
        .option("force-rebuild", {
          type: "boolean",
          default: false,
          describe: "build without cache and replace",
        })
        .option("dry-run", { type: "boolean", default: false, describe: "print the plan and touch nothing" })
        .option("fail-fast", {
          type: "boolean",
          default: false,
          describe: "start nothing new after a failure",
        })
        .option("rollback", {
          type: "boolean",
          default: true,
          describe: "put the previous container back on failure (--no-rollback keeps the failed one)",
        })
        .example("$0 all main", "deploy every service from branch main")
        .example("$0 auth-service v1.2.0", "deploy tag v1.2.0 (or a commit: $0 auth-service 3f2a9c1)")
        .example("$0 auth-service,user-service main --force-rebuild", "rebuild two services without cache")
        .example("$0 all --output plain >> /var/log/deploy.log 2>&1", "from cron")
        .example("$0 all --json | jq .services", "the run summary as JSON") as unknown as Argv<DeployArgs>,
    handler: async (argv: ArgumentsCamelCase<DeployArgs>) => {
      branchAfterDashes(argv, 0);
      if (argv.dryRun) {
        const { printPlan } = await import("./plan.js");
        setExit(await printPlan(argv, io));
        return;
      }
      // Loaded on use: `--help` and usage errors stay quick without the engine, git and manifest libraries.
      const { loadManifestOrThrow } = await import("./manifest-option.js");
      const { runDeploy } = await import("./run-deploy.js");
      const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
      const selected = selectServices(manifest, argv.services);
      const { redeploy, noCache } = forceRebuildMeans(argv.forceRebuild);
      const settings = {
        concurrency: concurrencyOf(argv),
        noRollback: !argv.rollback,
        failFast: argv.failFast,
        noCache,
      };
      setExit(
        await runDeploy({
          manifest,
          selected,
          branch: argv.branch,
          intent: { redeploy },
          settings,
          ...runSettingsOf(argv, manifest, io),
          command: ["deploy", ...argvWords],
          summaryOptions: {
            services: argv.services,
            branch: argv.branch ?? null,
            file: argv.file,
            forceRebuild: argv.forceRebuild,
            concurrency: settings.concurrency,
            noRollback: settings.noRollback,
            failFast: settings.failFast,
          },
        }),
      );
    },
  };
}
