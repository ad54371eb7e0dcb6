/**
 * Child processes for the bench: wall time from spawn to exit, and (under GNU time) the peak RSS.
 * Every child runs in its own process group so a timeout or an interrupted bench can stop it and its children.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { performance } from "node:perf_hooks";

export const TIME_BIN = "/usr/bin/time";

const running = new Set();

/** Sends `signal` to every child still running (and its process group). */
export function killAll(signal = "SIGTERM") {
  for (const child of running) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Settings that pick a builder: the bench sets them per variant, never inherits them. */
const BUILDER_SETTINGS = ["DOCKER_BUILDKIT", "COMPOSE_DOCKER_CLI_BUILD"];

/** The caller's environment without what would change the tool's or a baseline's behaviour behind the bench's back. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      key.startsWith("DEPLOY_") ||
      key === "FORCE_COLOR" ||
      key === "DEBUG" ||
      key === "NODE_DISABLE_COMPILE_CACHE" ||
      BUILDER_SETTINGS.includes(key)
    )
      continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

/**
 * The baselines' builder settings. `classic` is what they do here by default: Compose v1 builds through
 * docker-py's classic build, and a docker CLI without buildx has only the classic builder. `buildkit(dir)` turns
 * BuildKit on for both (Compose through the CLI), with the docker CLI found in `dir` first on the PATH.
 */
export const baselineBuilder = {
  classic: { DOCKER_BUILDKIT: "0" },
  buildkit: (dir) => ({
    DOCKER_BUILDKIT: "1",
    COMPOSE_DOCKER_CLI_BUILD: "1",
    ...(dir ? { PATH: `${dir}:${process.env.PATH}` } : {}),
  }),
};

/**
 * Runs `cmd args`; resolves (never rejects on a non-zero exit) with
 * `{ code, signal, ms, stdout, stderr, maxRssKb }`. With `rssFile`, the command runs under `/usr/bin/time -v`,
 * whose report goes to that file; `maxRssKb` is its "Maximum resident set size".
 */
export function run(cmd, args, { cwd, env = cleanEnv(), timeoutMs = 180_000, rssFile } = {}) {
  const [file, argv] =
    rssFile && existsSync(TIME_BIN) ? [TIME_BIN, ["-v", "-o", rssFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const startEpochMs = Date.now();
    const child = spawn(file, argv, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => {
      stderr += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.on("close", async (code, signal) => {
      const ms = performance.now() - start;
      clearTimeout(timer);
      running.delete(child);
      let maxRssKb = null;
      if (rssFile) {
        const report = await readFile(rssFile, "utf8").catch(() => "");
        const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
        maxRssKb = match ? Number(match[1]) : null;
        await rm(rssFile, { force: true });
      }
      if (timedOut) stderr += `\n[bench] killed after ${timeoutMs} ms`;
      resolve({
        code: timedOut ? null : code,
        signal,
        ms,
        stdout,
        stderr,
        maxRssKb,
        startEpochMs,
        endEpochMs: Date.now(),
      });
    });
  });
}

/** Like `run`, but a non-zero exit throws with the command's output. */
export async function mustRun(cmd, args, options) {
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${result.code ?? result.signal}\n${result.stdout}\n${result.stderr}`.trim(),
    );
  }
  return result;
}

/** A failed command's exit and the tail of its output, for an error message. */
export function describeFailure(result) {
  return `exit ${result.code ?? result.signal}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
