import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root (this file is test/e2e/support/cli.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** The built CLI, as a user runs it: `node dist/cli.js …`. */
export const CLI = fileURLToPath(new URL("../../../dist/cli.js", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, for assertion messages. */
  output: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Default 150 s: under the e2e test timeout, so a hung CLI fails with its output instead of a bare timeout. */
  timeoutMs?: number;
}

/** The caller's environment without anything that would change the CLI's behaviour behind a test's back. */
export function cleanEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("DEPLOY_") || ["FORCE_COLOR", "DEBUG", "DOCKER_BUILDKIT"].includes(key)) continue;
    env[key] = value;
  }
  return env;
}

/** A started CLI: the child (to signal it), its output so far, and its end. */
export interface CliProcess {
  child: ChildProcess;
  /** stdout and stderr so far, for assertion messages while it still runs. */
  output(): string;
  /** Resolves when the child has exited (never rejects on a non-zero exit); `timedOut` once it was stopped. */
  done: Promise<CliResult & { timedOut: boolean }>;
}

/**
 * Spawns `node dist/cli.js ...args` in `cwd`, with NO_COLOR=1 and stdout/stderr as pipes (not a terminal),
 * collecting its output. A child still running after `timeoutMs` is handed to `stop`.
 */
export function spawnCli(
  args: string[],
  options: CliOptions,
  stop: (child: ChildProcess) => void,
): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...cleanEnv(), NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const describe = (end: string) =>
    `--- deploy ${args.join(" ")} (${end})\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  const done = new Promise<CliResult & { timedOut: boolean }>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop(child);
    }, options.timeoutMs ?? 150_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output: describe(`exit ${code ?? signal}`), timedOut });
    });
  });
  return { child, done, output: () => describe("still running") };
}

/** Runs the CLI to its end (see spawnCli); one that does not finish in time is stopped and fails the call. */
export async function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const { done } = spawnCli(args, options, (child) => {
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
  });
  const { timedOut, ...result } = await done;
  if (timedOut) {
    throw new Error(`the CLI did not finish within ${options.timeoutMs ?? 150_000} ms\n${result.output}`);
  }
  return result;
}
