import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import type { ServiceState, StatusRecord } from "../../../src/events.js";
import { type CliOptions, type CliProcess, type CliResult, spawnCli } from "./cli.js";
import type { LogsDir } from "./manifest.js";

/** A CLI run in the background: the child (to signal it), its output so far, and its end. */
export interface BackgroundCli extends Omit<CliProcess, "done"> {
  /** Resolves when the child has exited (never rejects on a non-zero exit). */
  done: Promise<CliResult>;
}

/**
 * Starts the CLI like runCli does (NO_COLOR, pipes, no DEPLOY_* from the caller) but returns at once, so a
 * test can act while it runs (signal it, start a second deploy). A child still running after `timeoutMs` is
 * killed and `done` resolves with what it printed.
 */
export function startCli(args: string[], options: CliOptions): BackgroundCli {
  const started = spawnCli(args, options, (child) => child.kill("SIGKILL"));
  return { ...started, done: started.done.then(({ timedOut: _timedOut, ...result }) => result) };
}

/** Polls `check` until it returns a value other than undefined; fails after `timeoutMs` with `what()`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; what: () => string },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what()}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/**
 * Waits until `<service>.status.json` of a run other than `notRunId` says `state`. Fails early when the run
 * reaches a final state first (or the CLI exits), with the CLI's output.
 */
export async function waitForState(
  logs: LogsDir,
  service: string,
  state: ServiceState,
  cli: BackgroundCli,
  options: { notRunId?: string; timeoutMs?: number } = {},
): Promise<StatusRecord> {
  let exited = false;
  void cli.done.then(() => {
    exited = true;
  });
  let last: StatusRecord | undefined;
  return waitFor(
    async () => {
      if (exited) throw new Error("exited");
      const status = await logs.status(service).catch(() => undefined);
      last = status;
      if (status && status.run_id !== options.notRunId && status.state === state) return status;
      return undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 60_000,
      intervalMs: 100,
      what: () =>
        `${service} to be ${state} (last seen: ${last ? `${last.run_id} ${last.state}` : "no status file"})\n${cli.output()}`,
    },
  ).catch(async (error: Error) => {
    if (exited) {
      const result = await cli.done;
      throw new Error(`the CLI exited before ${service} was ${state}\n${result.output}`);
    }
    throw error;
  });
}

/** The last run's section of a service log: from its last `==== run ` header to the end. */
export function lastRunSection(log: string): string {
  const index = log.lastIndexOf("==== run ");
  return index < 0 ? "" : log.slice(index);
}

/**
 * The builder's step lines in a log text: BuildKit's `… [build] [2/6] COPY www/ /www/` (with the stage's name
 * in a multi-stage file: `[runtime 2/6]`), the classic builder's `… [build] Step 2/6 : COPY www/ /www/`.
 */
export function buildStepLines(log: string): string[] {
  return log.split("\n").filter((line) => /\[build\] (\[(\S+ )?\d+\/\d+\] |Step \d+\/\d+ :)/.test(line));
}

/** A TCP server holding 127.0.0.1:`port` (it accepts and drops every connection); close() it after. */
export function holdPort(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

export function closeServer(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/** Removes a file of a repository's working tree (the next commit, with `git add -A`, records it gone). */
export function removeFromRepo(repoDir: string, path: string): Promise<void> {
  return rm(join(repoDir, path), { force: true });
}
