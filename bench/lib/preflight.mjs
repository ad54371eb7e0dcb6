/** Before a run: is the machine ready (else exit 2), what is missing and can be installed, and what it is. */
import { existsSync, statSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { CLI, log, ROOT } from "./context.mjs";
import { docker } from "./engine.mjs";
import { cleanEnv, run, TIME_BIN } from "./proc.mjs";

async function commandWorks(cmd, args) {
  try {
    return (await run(cmd, args, { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false;
  }
}

/** `apt-get install -y <pkg>` when running as root on a Debian-like machine (apt-get update once if needed). */
async function aptInstall(pkg) {
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return false;
  const env = cleanEnv({ DEBIAN_FRONTEND: "noninteractive" });
  log(`installing ${pkg} (apt-get install -y ${pkg})`);
  let result = await run("apt-get", ["install", "-y", pkg], { env, timeoutMs: 300_000 });
  if (result.code !== 0) {
    await run("apt-get", ["update"], { env, timeoutMs: 300_000 });
    result = await run("apt-get", ["install", "-y", pkg], { env, timeoutMs: 300_000 });
  }
  if (result.code !== 0)
    log(`could not install ${pkg}: ${result.stderr.trim().split("\n").slice(-2).join(" ")}`);
  return result.code === 0;
}

/** Exits 2 when the engine, its base image or dist/ is missing; says which baselines can run. */
export async function preflight() {
  const problems = [];
  if (!existsSync(CLI)) problems.push("dist/cli.js is missing: run `npm run build` (or scripts/setup.sh)");
  try {
    await docker.ping();
  } catch (error) {
    problems.push(`no Docker engine answers (${error.message}): run scripts/engine.sh ensure`);
  }
  if (problems.length === 0) {
    try {
      await docker.getImage("busybox:latest").inspect();
    } catch {
      problems.push("the engine has no busybox:latest image: run scripts/base-image.sh");
    }
  }
  if (problems.length > 0) {
    for (const problem of problems) log(problem);
    process.exit(2);
  }
  if (!existsSync(TIME_BIN)) await aptInstall("time");
  if (!(await commandWorks("docker-compose", ["version"]))) await aptInstall("docker-compose");
  const compose = await commandWorks("docker-compose", ["version"]);
  if (!compose) log("docker-compose does not run: its figures are skipped");
  const curl = (await commandWorks("curl", ["--version"])) || (await commandWorks("wget", ["--help"]));
  if (!curl) log("neither curl nor wget: the bash baseline is skipped");
  return { compose, curl, rss: existsSync(TIME_BIN) };
}

/** When dist/ was last built (scripts/build.mjs rewrites it whole): a rebuild during the run would mix two builds. */
export function distBuiltAt() {
  try {
    return statSync(join(ROOT, "dist", "cli.js")).mtime.toISOString();
  } catch {
    return null;
  }
}

export async function machine() {
  const version = await docker.version();
  const out = async (cmd, args) => (await run(cmd, args, { timeoutMs: 30_000 })).stdout.trim();
  const gitHead = await out("git", ["-C", ROOT, "rev-parse", "--short=12", "HEAD"]);
  const dirty = (await out("git", ["-C", ROOT, "status", "--porcelain", "--", "src"])) !== "";
  return {
    dist_built_at: distBuiltAt(),
    cpus: availableParallelism(),
    cpu_model: cpus()[0]?.model ?? "unknown",
    memory_mb: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    docker_engine: version.Version,
    docker_compose: (await out("docker-compose", ["version", "--short"]).catch(() => "")) || null,
    git: await out("git", ["--version"]),
    tool_commit: gitHead,
    tool_src_dirty: dirty,
  };
}
