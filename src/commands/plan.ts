import type { Argv, CommandModule } from "yargs";
import type { Io } from "../io.js";
import type { GlobalArgs } from "./manifest-option.js";
import { branchAfterDashes, refArgument } from "./ref-argument.js";
import type { RunArgs } from "./run-options.js";

export interface PlanArgs extends GlobalArgs, Pick<RunArgs, "cacheDir"> {
  services: string;
  branch?: string;
  forceRebuild?: boolean;
  json: boolean;
}

export function planCommand(io: Io, setExit: (code: number) => void): CommandModule<GlobalArgs, PlanArgs> {
  return {
    command: "plan <services> [branch]",
    describe: "Show what deploy would do, in order, touching nothing (same as deploy --dry-run)",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional("services", { type: "string", describe: "`all` or a comma list" })
        .positional("branch", {
          type: "string",
          describe: "branch, tag or commit for every selected service",
          coerce: refArgument,
        })
        .option("force-rebuild", { type: "boolean", default: false, describe: "plan as if --force-rebuild" })
        .option("json", { type: "boolean", default: false, describe: "the plan as JSON" })
        .option("cache-dir", { type: "string", describe: "repository cache" })
        .example(
          "$0 plan all main",
          "what a deploy of every service from main would do",
        ) as unknown as Argv<PlanArgs>,
    handler: async (argv) => {
      branchAfterDashes(argv, 1);
      const { printPlan } = await import("./plan-action.js");
      setExit(await printPlan(argv, io));
    },
  };
}
