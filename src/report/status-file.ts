/**
 * `<logsDir>/<key>.status.json` (SPEC §5): rewritten at every status event through write-file-atomic (a
 * temporary file renamed over the old one), so `cat` or `jq` never sees half a document.
 *
 * Writes to one file are serialised: a later record is never overtaken by an earlier one finishing last.
 * While a write is in flight, newer records wait in a single slot and only the newest is written next; a
 * record superseded before its write began is skipped, which loses nothing a reader could have relied on and
 * keeps a burst of events from queueing hundreds of fsyncs.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import type { StatusRecord } from "../events.js";
import { DIR_MODE, FILE_MODE } from "./file-modes.js";

export interface StatusFilesOptions {
  /** Called once per file that fails to be written; later writes to it are still attempted. */
  onError: (file: string, error: unknown) => void;
}

export interface StatusFiles {
  /** Queues `status` as the new content of `<key>.status.json`. Never throws. */
  write(key: string, status: StatusRecord): void;
  /** Resolves once every queued record is on disk (or has failed and been reported). */
  flush(): Promise<void>;
}

interface FileQueue {
  /** The newest record not yet handed to a write, already serialised. */
  next: string | null;
  /** The write loop for this file, while one runs. */
  running: Promise<void> | null;
}

export function statusFileName(key: string): string {
  return `${key}.status.json`;
}

export function toStatusJson(status: StatusRecord): string {
  return `${JSON.stringify(status, null, 2)}\n`;
}

export function createStatusFiles(logsDir: string, options: StatusFilesOptions): StatusFiles {
  const queues = new Map<string, FileQueue>();
  const reported = new Set<string>();
  let dirReady: Promise<unknown> | null = null;

  async function drain(file: string, queue: FileQueue): Promise<void> {
    dirReady ??= mkdir(logsDir, { recursive: true, mode: DIR_MODE });
    for (let data = queue.next; data !== null; data = queue.next) {
      queue.next = null;
      try {
        await dirReady;
        await writeFileAtomic(file, data, { mode: FILE_MODE });
      } catch (error) {
        if (!reported.has(file)) {
          reported.add(file);
          options.onError(file, error);
        }
      }
    }
    queue.running = null;
  }

  return {
    write(key, status) {
      const file = join(logsDir, statusFileName(key));
      let queue = queues.get(file);
      if (!queue) {
        queue = { next: null, running: null };
        queues.set(file, queue);
      }
      queue.next = toStatusJson(status);
      queue.running ??= drain(file, queue);
    },

    async flush() {
      await Promise.all([...queues.values()].map((queue) => queue.running));
    },
  };
}
