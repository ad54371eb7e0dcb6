import { systemClock } from "../clock.js";
import { EXIT } from "../errors.js";
import { RepoCache } from "../git/repo-cache.js";
import { connectHost } from "../hosts/connect.js";
import { HostPool } from "../hosts/pool.js";
import type { Io } from "../io.js";
import { buildPlan, newRunId } from "../plan/plan.js";
import { formatPreview, previewPlan } from "../plan/preview.js";
import { selectServices } from "../plan/select.js";
import { RunRepos } from "../run/run-repos.js";
import { redactUrl } from "../url-redact.js";
import { loadManifestOrThrow } from "./manifest-option.js";
import type { PlanArgs } from "./plan.js";
import { cacheDirOf } from "./run-options.js";

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
