/**
 * `<logsDir>/<key>.log` (SPEC §5): one file per target, appended run after run so an operator can scroll
 * back through history. Each run's section opens with a header line; every line after it starts with an
 * ISO-8601 time and a phase tag, so `grep '\[build\]'` and time-based slicing both work.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import type { RunEvent, ServiceState, StatusRecord, TargetRef } from "../events.js";
import { DIR_MODE, FILE_MODE, tightenFileSync } from "./file-modes.js";
import { formatDuration, toLines } from "./text.js";

export interface LogFilesOptions {
  logsDir: string;
  runId: string;
  /** The branch for the header when a target's first event is a log line (status events carry their own). */
  branchOf?: (target: TargetRef) => string | undefined;
  now?: () => Date;
  /** Called once per file that cannot be opened or written; that file is then left alone for the run. */
  onError: (file: string, error: unknown) => void;
}

export interface LogFiles {
  /** Appends the event to its target's file. Lines must already be redacted. Never throws. */
  onEvent(event: RunEvent): void;
  /** Ends every stream and waits until what was written is on disk. */
  close(): Promise<void>;
}

interface TargetLog {
  file: string;
  stream: WriteStream | null;
  state: ServiceState | null;
  /** Whether the commit has been written (in the header or on its own line) for this run. */
  commitWritten: boolean;
}

/** The log phase of each state; final states take the phase of their error, else `deploy`. */
export function phaseOfStatus(status: Pick<StatusRecord, "state" | "error">): string {
  switch (status.state) {
    case "cloning":
      return "git";
    case "building":
      return "build";
    case "deploying":
      return "deploy";
    case "checking":
      return "health";
    case "pending":
      return "deploy";
    default:
      return status.error?.phase ?? "deploy";
  }
}

function describeState(status: StatusRecord): string {
  let text = `state ${status.state}`;
  if (status.finished_at !== null && status.duration_ms !== null)
    text += ` after ${formatDuration(status.duration_ms)}`;
  if (status.reason) text += `: ${status.reason}`;
  return text;
}

export function createLogFiles(options: LogFilesOptions): LogFiles {
  const now = options.now ?? (() => new Date());
  const logs = new Map<string, TargetLog>();
  let dirReady = false;
  let closed = false;

  function open(target: TargetRef): TargetLog {
    const file = join(options.logsDir, `${target.key}.log`);
    const log: TargetLog = { file, stream: null, state: null, commitWritten: false };
    logs.set(target.key, log);
    try {
      // Synchronous, once per run: the stream below opens asynchronously and needs the folder to exist.
      if (!dirReady) mkdirSync(options.logsDir, { recursive: true, mode: DIR_MODE });
      dirReady = true;
      tightenFileSync(file); // appended to: a file of an older version keeps its mode otherwise
      const stream = createWriteStream(file, { flags: "a", mode: FILE_MODE });
      stream.on("error", (error) => {
        log.stream = null;
        options.onError(file, error);
      });
      log.stream = stream;
    } catch (error) {
      options.onError(file, error);
    }
    return log;
  }

  function write(log: TargetLog, phase: string, text: string): void {
    const time = now().toISOString();
    for (const line of toLines(text)) log.stream?.write(`${time} [${phase}] ${line}\n`);
  }

  function writeHeader(log: TargetLog, event: RunEvent): void {
    const status = event.type === "status" ? event.status : undefined;
    const branch = status?.branch ?? options.branchOf?.(event.target) ?? "?";
    const commit = status?.commit ?? null;
    log.commitWritten = commit !== null;
    // What the ref is (branch, tag or commit) is known only once git has answered, as the commit is.
    const kind = status?.ref_kind ? ` ref_kind=${status.ref_kind}` : "";
    log.stream?.write(
      `==== run ${options.runId} started ${now().toISOString()} branch=${branch}${kind} commit=${commit ?? "?"} host=${event.target.host}\n`,
    );
  }

  function onStatus(log: TargetLog, status: StatusRecord): void {
    if (status.commit !== null && !log.commitWritten) {
      log.commitWritten = true;
      const from = status.ref_kind ? ` (${status.ref_kind} ${status.branch})` : "";
      write(log, "git", `commit ${status.commit}${from}`);
    }
    // Status events may repeat a state (e.g. to add the image); only a change is worth a line.
    if (status.state === log.state) return;
    log.state = status.state;
    const phase = phaseOfStatus(status);
    write(log, phase, describeState(status));
    if (status.error) {
      const [first = "", ...rest] = toLines(status.error.message);
      write(log, phase, `error: ${first}`);
      for (const line of rest) write(log, phase, `  ${line}`);
    }
  }

  return {
    onEvent(event) {
      if (closed) return;
      let log = logs.get(event.target.key);
      if (!log) {
        log = open(event.target);
        writeHeader(log, event);
      }
      if (!log.stream) return;
      if (event.type === "log") write(log, event.phase, event.line);
      else onStatus(log, event.status);
    },

    async close() {
      closed = true;
      const streams = [...logs.values()].flatMap((log) => (log.stream ? [log.stream] : []));
      for (const stream of streams) stream.end();
      // A stream that fails while flushing has already been reported through its error listener.
      await Promise.all(streams.map((stream) => finished(stream).catch(() => undefined)));
    },
  };
}
