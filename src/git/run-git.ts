import { type ChildProcess, spawn } from "node:child_process";
import { redactUrl } from "../url-redact.js";
import { informativeLines } from "./git-stderr.js";

export interface GitRunOptions {
  env: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Past this, git and every helper it started (ssh, git-remote-http) are killed. */
  timeoutMs?: number | undefined;
  /** Written to git's stdin (e.g. object ids for `cat-file --batch-check`); stdin is closed otherwise. */
  input?: string;
}

/** Git exited non-zero; the message holds the lines of its stderr that say why, URLs' user info hidden. */
export class GitCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitCommandError";
  }
}

/** Git did not finish within its deadline. */
export class GitTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs / 1000}s (git_timeout)`);
    this.name = "GitTimeoutError";
  }
}

/** Stderr kept per command: its head holds the cause. */
const MAX_STDERR = 64 * 1024;
/** After git exits, how long a helper it left behind may keep the output pipes open. */
const CLOSE_GRACE_MS = 1000;

/** Process groups of git commands still running: killed if this process exits first (a second Ctrl-C). */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Runs `git args…` and resolves to its stdout. Git runs in a process group of its own (detached) so that a
 * deadline or an abort kills its helpers too: killing git alone leaves git-remote-http or ssh waiting on a
 * silent server with our pipes open. Rejects with GitCommandError, GitTimeoutError, or the signal's reason.
 */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<string> {
  return runGitForBytes(args, options).then((stdout) => stdout.toString());
}

/** runGit, resolving to stdout's bytes: for output that holds file contents and their sizes in bytes. */
export function runGitForBytes(args: readonly string[], options: GitRunOptions): Promise<Buffer> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  installExitHook();
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? "ignore" : "pipe";
    const child = spawn("git", args, { env: options.env, stdio: [stdin, "pipe", "pipe"], detached: true });
    running.add(child);
    // Git may exit before reading all of it (EPIPE): its exit code says what went wrong.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.input);
    const stdout: Buffer[] = [];
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += chunk.toString();
    });
    let stopped: unknown;
    let exitCode: number | null = null;
    let settled = false;
    const stop = (reason: unknown) => {
      stopped ??= reason;
      killGroup(child);
    };
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => stop(new GitTimeoutError(timeoutMs)), timeoutMs);
    const onAbort = () => stop(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      running.delete(child);
      if (stopped !== undefined) reject(stopped);
      else if (error) reject(error);
      else if (exitCode === 0) resolve(Buffer.concat(stdout));
      else reject(new GitCommandError(failureMessage(stderr, exitCode)));
    };
    child.on("error", settle);
    child.on("exit", (code, killedBy) => {
      exitCode = code ?? (killedBy ? 128 : 1);
      setTimeout(settle, CLOSE_GRACE_MS).unref();
    });
    child.on("close", () => settle());
  });
}

function failureMessage(stderr: string, exitCode: number | null): string {
  const lines = informativeLines(redactUrl(stderr));
  return lines.length > 0 ? lines.join(" ") : `git exited with code ${exitCode}`;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) killGroup(child);
  });
}
