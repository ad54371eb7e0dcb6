/**
 * The interactive view (`--output tree`, the default on a terminal): one listr2 task per target, its current
 * state and latest output line beneath it while it runs, then a final title with state and duration.
 *
 * listr2 does not run anything here: each task's function only waits for its target's final status, which
 * the run layer emits. Choices that matter:
 * - `exitOnError: false`: one service failing must not stop the display of its siblings;
 * - `registerSignalListeners: false`: listr2 would otherwise `process.exit(127)` on SIGINT, cutting short
 *   the run layer's clean stop (SPEC §2, exit 130);
 * - the renderer is chosen from *our* stdout (listr2 looks at `process.stdout`), and writes through a
 *   `ProcessOutput` on the given streams, so tests and callers can redirect it;
 * - `collapseErrors: false` keeps the target's name in the title and shows the error beneath it;
 * - while the interactive renderer draws, listr2 holds back other writes to the same stdout and stderr and
 *   prints them when it ends (they would tear its frames).
 * On a non-TTY listr2's "simple" renderer prints a line per task event; there only state changes are sent
 * as output, not every build line.
 */
import {
  Listr,
  type ListrDefaultRenderer,
  ListrDefaultRendererLogLevels,
  ListrLogger,
  ListrLogLevels,
  type ListrSimpleRenderer,
  type ListrTask,
  type ListrTaskWrapper,
  type LoggerFormat,
  ProcessOutput,
} from "listr2";
import type { RunEvent, RunSummary, StatusRecord, TargetRef } from "../../events.js";
import { FINAL_STATES } from "../../events.js";
import { firstLine, formatDuration, toLines } from "../text.js";
import { painter } from "./style.js";
import { formatSummary } from "./summary.js";
import type { RendererOptions, TerminalRenderer } from "./types.js";

/** What a task needs to show its end; both a final StatusRecord and a ServiceSummary provide it. */
type Outcome = Pick<StatusRecord, "state" | "duration_ms" | "reason" | "error">;

type Wrapper = ListrTaskWrapper<unknown, ListrDefaultRenderer, ListrSimpleRenderer>;

interface Row {
  target: TargetRef;
  state: string;
  lastLine: string;
  task: Wrapper | null;
  outcome: Outcome | null;
  settle: (outcome: Outcome) => void;
  settled: Promise<Outcome>;
  shown: string;
  shownAt: number;
  timer: NodeJS.Timeout | null;
}

/** Build output can arrive by the thousand lines a second; the view needs no more than a few frames. */
const OUTPUT_INTERVAL_MS = 100;

/** With `color` off, icons are drawn bare: listr2's own palette would follow its own sniffing of the env. */
const plainColors = <L extends string>(levels: Record<string, L>): Partial<Record<L, LoggerFormat>> =>
  Object.fromEntries(Object.values(levels).map((level) => [level, (text?: string) => text ?? ""])) as Partial<
    Record<L, LoggerFormat>
  >;

export function createTreeRenderer(options: RendererOptions): TerminalRenderer {
  // listr2 sizes its frames from process.stdout.columns; a pseudo-terminal without a size (some CI
  // runners, `script`) reports 0 and every line would be truncated away, so it gets the line-based view.
  const tty = (options.stdout as { isTTY?: boolean }).isTTY === true && (process.stdout.columns ?? 0) > 0;
  const paint = painter(options.color);
  const rows = new Map<string, Row>();
  let targets: TargetRef[] = [];
  let running: Promise<unknown> | null = null;

  function outputOf(row: Row): string {
    if (!tty) return `${row.target.key} · ${row.state}`;
    return row.lastLine ? `${row.state} · ${row.lastLine}` : row.state;
  }

  function refresh(row: Row, now = false): void {
    if (!row.task || row.outcome || !row.state) return;
    const text = outputOf(row);
    if (text === row.shown) return;
    const wait = OUTPUT_INTERVAL_MS - (Date.now() - row.shownAt);
    if (now || wait <= 0) {
      if (row.timer) clearTimeout(row.timer);
      row.timer = null;
      row.shown = text;
      row.shownAt = Date.now();
      row.task.output = text;
      return;
    }
    row.timer ??= setTimeout(() => {
      row.timer = null;
      refresh(row, true);
    }, wait);
    row.timer.unref();
  }

  function end(task: Wrapper, row: Row, outcome: Outcome): void {
    if (row.timer) clearTimeout(row.timer);
    const key = row.target.key;
    const duration = paint("dim", formatDuration(outcome.duration_ms));
    const reason = firstLine(outcome.reason ?? "");
    if (outcome.state === "skipped") {
      // The default renderer replaces the title with the skip message; the simple one prints both.
      task.skip(tty ? `${key} skipped${reason ? ` · ${reason}` : ""}` : reason || "skipped");
      return;
    }
    task.title = `${key} ${outcome.state} ${duration}`;
    if (outcome.state === "failed" || outcome.state === "rolled_back") {
      const why = outcome.error ? `[${outcome.error.phase}] ${firstLine(outcome.error.message)}` : reason;
      throw new Error(why || outcome.state);
    }
    if (reason) task.title = `${key} ${outcome.state} ${duration} · ${reason}`;
  }

  function taskOf(row: Row): ListrTask<unknown, ListrDefaultRenderer, ListrSimpleRenderer> {
    return {
      title: row.target.key,
      task: async (_ctx, task) => {
        row.task = task;
        refresh(row, true);
        end(task, row, await row.settled);
      },
    };
  }

  function settle(row: Row, outcome: Outcome): void {
    if (row.outcome) return;
    row.outcome = outcome;
    row.settle(outcome);
  }

  return {
    start(list) {
      if (running) return;
      targets = list;
      for (const target of list) {
        let settleFn: (outcome: Outcome) => void = () => {};
        const settled = new Promise<Outcome>((resolve) => {
          settleFn = resolve;
        });
        rows.set(target.key, {
          target,
          state: "",
          lastLine: "",
          task: null,
          outcome: null,
          settle: settleFn,
          settled,
          shown: "",
          shownAt: 0,
          timer: null,
        });
      }
      const processOutput = new ProcessOutput(
        options.stdout as NodeJS.WriteStream,
        options.stderr as NodeJS.WriteStream,
      );
      const noColor = !options.color;
      const list2 = new Listr<unknown, "default", "simple">([...rows.values()].map(taskOf), {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        fallbackRendererCondition: !tty,
        rendererOptions: {
          logger: new ListrLogger({ useIcons: true, toStderr: [], processOutput }),
          formatOutput: "truncate",
          collapseErrors: false,
          showErrorMessage: true,
          collapseSkips: true,
          showSkipMessage: true,
          clearOutput: false,
          ...(noColor ? { color: plainColors(ListrDefaultRendererLogLevels) } : {}),
        },
        fallbackRendererOptions: {
          logger: new ListrLogger({ useIcons: true, toStderr: [], processOutput }),
          ...(noColor ? { color: plainColors(ListrLogLevels) } : {}),
        },
      });
      // With exitOnError false run() does not reject for a failed task; anything else is a renderer bug
      // that must not take the deploy down with it.
      running = list2.run().catch((error: unknown) => {
        options.stderr.write(`deploy: the progress display failed: ${String(error)}\n`);
      });
    },

    onEvent(event: RunEvent) {
      const row = rows.get(event.target.key);
      if (!row || row.outcome) return;
      if (event.type === "log") {
        const lines = toLines(event.line);
        const last = lines[lines.length - 1];
        if (last !== undefined) row.lastLine = last;
        refresh(row);
        return;
      }
      const { status } = event;
      if (FINAL_STATES.includes(status.state)) {
        settle(row, status);
        return;
      }
      if (status.state !== row.state) {
        row.state = status.state;
        row.lastLine = "";
        refresh(row, true);
      }
    },

    async finish(summary: RunSummary) {
      // A target the run never finalised (it should not happen) takes its state from the summary, so the
      // display always ends.
      for (const row of rows.values()) {
        const entry = summary.services.find(
          (s) => s.service === row.target.service && s.host === row.target.host,
        );
        settle(
          row,
          entry ?? { state: "skipped", duration_ms: null, reason: "no result recorded", error: null },
        );
      }
      await running;
      options.stdout.write(`\n${formatSummary(summary, { ...options, targets })}`);
    },
  };
}
