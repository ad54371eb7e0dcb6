import { systemClock } from "../clock.js";
import { EXIT } from "../errors.js";
import { RepoCache } from "../git/repo-cache.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { buildPlan, newRunId } from "../plan/plan.js";
import { previewPlan, type TargetPreview } from "../plan/preview.js";
import { selectServices } from "../plan/select.js";
import { formatTable } from "../report/table.js";
import { observePlan } from "../run/observe.js";
import { RunRepos } from "../run/run-repos.js";
import { redactUrl } from "../url-redact.js";
import { loadManifestOrThrow } from "./manifest-option.js";
import type { PlanArgs } from "./plan.js";
import { cacheDirOf, forceRebuildMeans } from "./run-options.js";

/** Prints what `deploy` would do, in start order; exit 0, or 1 when a target cannot be planned (git, host). */
export async function printPlan(argv: PlanArgs, io: Io): Promise<number> {
  const manifest = await loadManifestOrThrow(argv.file, io.cwd, io.env);
  const selected = selectServices(manifest, argv.services);
  const { redeploy } = forceRebuildMeans(argv.forceRebuild ?? false);
  const plan = buildPlan(manifest, selected, argv.branch, newRunId(new Date(systemClock.now())), {
    redeploy,
  });
  const hosts = new HostPool(connectHost);
  try {
    const repos = new RunRepos(new RepoCache(cacheDirOf(argv, io)));
    const previews = previewPlan(plan, await observePlan(plan, hosts, repos));
    // A target that cannot be planned quotes git's error, which may hold a repo URL's credentials.
    io.stdout.write(
      redactUrl(
        argv.json
          ? `${JSON.stringify({ project: plan.project, targets: previews }, null, 2)}\n`
          : formatPreview(previews),
      ),
    );
    return previews.some((preview) => preview.action === "error") ? EXIT.failed : EXIT.ok;
  } finally {
    await hosts.closeAll();
  }
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
