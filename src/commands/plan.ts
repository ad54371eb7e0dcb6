import type { Argv, CommandModule } from "yargs";
import { systemClock } from "../clock.js";
import { EXIT } from "../errors.js";
import type { Io } from "../io.js";
import { buildPlan, newRunId } from "../plan/plan.js";
import { previewPlan, type TargetPreview } from "../plan/preview.js";
import { selectServices } from "../plan/select.js";
import { formatTable } from "../report/table.js";
import { redactUrl } from "../url-redact.js";
import type { GlobalArgs } from "./manifest-option.js";
import { loadManifestOrThrow } from "./manifest-option.js";
import { branchAfterDashes, refArgument } from "./ref-argument.js";
import type { RunArgs } from "./run-options.js";
import { cacheDirOf, forceRebuildMeans } from "./run-options.js";

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
      setExit(await printPlan(argv, io));
    },
  };
}

/** Prints what `deploy` would do, in start order; exit 0, or 1 when a target cannot be planned (git, host). */
export async function printPlan(argv: PlanArgs, io: Io): Promise<number> {
  const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
  const selected = selectServices(manifest, argv.services);
  const { redeploy } = forceRebuildMeans(argv.forceRebuild ?? false);
  const plan = buildPlan(manifest, selected, argv.branch, newRunId(new Date(systemClock.now())), {
    redeploy,
  });
  // Loaded on use (engine, git and file-locking libraries): --help starts without them.
  const { observePlanOnce } = await import("../run/observe.js");
  const previews = previewPlan(plan, await observePlanOnce(plan, cacheDirOf(argv, io)));
  // A target that cannot be planned quotes git's error, which may hold a repo URL's credentials.
  io.stdout.write(
    redactUrl(
      argv.json
        ? `${JSON.stringify({ project: plan.project, targets: previews }, null, 2)}\n`
        : formatPreview(previews),
    ),
  );
  return previews.some((preview) => preview.action === "error") ? EXIT.failed : EXIT.ok;
}

/** A table for people: one row per target, in start order. */
export function formatPreview(previews: TargetPreview[]): string {
  const rows = [...previews]
    .sort((a, b) => a.step - b.step)
    .map((preview) => [
      String(preview.step),
      preview.host === "local" ? preview.service : `${preview.service}@${preview.host}`,
      preview.action,
      preview.commit?.slice(0, 12) ?? "-",
      preview.image ?? "-",
      preview.reason + (preview.waits_for.length > 0 ? `; after ${preview.waits_for.join(", ")}` : ""),
    ]);
  const header = ["step", "service", "action", "commit", "image", "why"];
  return formatTable(header, rows);
}
