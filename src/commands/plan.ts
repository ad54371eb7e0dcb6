import type { Argv, CommandModule } from "yargs";
import { EXIT } from "../errors.js";
import { RepoCache } from "../git/repo-cache.js";
import { systemClock } from "../health/clock.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { buildPlan, newRunId } from "../plan/plan.js";
import { formatPreview, previewPlan } from "../plan/preview.js";
import { selectServices } from "../plan/select.js";
import { RunRepos } from "../run/run-repos.js";
import { type GlobalArgs, loadManifestOrThrow } from "./manifest-option.js";
import { cacheDirOf, type RunArgs } from "./run-options.js";

export interface PlanArgs extends GlobalArgs, Pick<RunArgs, "cacheDir"> {
  services: string;
  branch?: string;
  forceRebuild?: boolean;
  json: boolean;
}

/** Prints what `deploy` would do, in start order; exit 0, or 1 when a target cannot be planned (git, host). */
export async function printPlan(argv: PlanArgs, io: Io): Promise<number> {
  const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
  const selected = selectServices(manifest, argv.services);
  const plan = buildPlan(manifest, selected, argv.branch, newRunId(new Date(systemClock.now())), {
    forceRebuild: argv.forceRebuild ?? false,
    concurrency: Number.MAX_SAFE_INTEGER,
    noRollback: false,
    failFast: false,
  });
  const hosts = new HostPool(connectHost);
  try {
    const previews = await previewPlan(plan, hosts, new RunRepos(new RepoCache(cacheDirOf(argv, io))));
    io.stdout.write(
      argv.json
        ? `${JSON.stringify({ project: plan.project, targets: previews }, null, 2)}\n`
        : formatPreview(previews),
    );
    return previews.some((preview) => preview.action === "error") ? EXIT.failed : EXIT.ok;
  } finally {
    await hosts.closeAll();
  }
}

export function planCommand(io: Io, setExit: (code: number) => void): CommandModule<GlobalArgs, PlanArgs> {
  return {
    command: "plan <services> [branch]",
    describe: "Show what deploy would do, in order, touching nothing (same as deploy --dry-run)",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .positional("services", { type: "string", describe: "`all` or a comma list" })
        .positional("branch", { type: "string", describe: "branch for every selected service" })
        .option("force-rebuild", { type: "boolean", default: false, describe: "plan as if --force-rebuild" })
        .option("json", { type: "boolean", default: false, describe: "the plan as JSON" })
        .option("cache-dir", { type: "string", describe: "repository cache" })
        .example(
          "$0 plan all main",
          "what a deploy of every service from main would do",
        ) as unknown as Argv<PlanArgs>,
    handler: async (argv) => {
      setExit(await printPlan(argv, io));
    },
  };
}
