/**
 * Where the time of a deploy goes, read back from the files the variants leave: the tool's
 * `<logs>/<service>.log` (ISO time + phase per line) and the bash baseline's `<name>.times`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

const LINE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) \[(\w+)\] ?(.*)$/;

/** The events of the last run section of one service log: [{ t (epoch ms), phase, text }]. */
export async function lastRunEvents(file) {
  const text = await readFile(file, "utf8");
  const sections = text.split(/^==== run /m);
  const last = sections[sections.length - 1] ?? "";
  const events = [];
  for (const line of last.split("\n")) {
    const match = LINE.exec(line);
    if (match) events.push({ t: Date.parse(match[1]), phase: match[2], text: match[3] });
  }
  return events;
}

const first = (events, test) => events.find((event) => test(event))?.t ?? null;
const span = (from, to) => (from !== null && to !== null ? to - from : null);

/**
 * One service's phases in ms: git (fetch), prepare (decide, export, pack), build (of which the LABEL steps the
 * build API's `labels` add at the end), wait (built → start, i.e. waiting for dependencies or a slot), start
 * (create + start), health (first probe → healthy), total (pending → final state).
 */
export function toolPhases(events) {
  const is = (re) => (event) => re.test(event.text);
  const pending = first(events, is(/^state pending/));
  const cloning = first(events, is(/^state cloning/));
  const fetched = first(events, (e) => e.phase === "git" && / is at [0-9a-f]{7,}/.test(e.text));
  const buildStart = first(events, (e) => e.phase === "build" && /^building /.test(e.text));
  const firstLabel = first(
    events,
    (e) => e.phase === "build" && /^Step \d+\/\d+ : LABEL "?io\.deploy\./.test(e.text),
  );
  const built = first(events, (e) => e.phase === "build" && /^built /.test(e.text));
  const deploying = first(events, is(/^state deploying/));
  const started = first(events, is(/^started container/));
  const checking = first(events, is(/^state checking/));
  const done = first(events, is(/^state (succeeded|unchanged|failed|rolled_back|skipped)/));
  // Step lines: BuildKit's `[2/4] COPY …` (not the ones found cached), the classic builder's `Step 2/4 : COPY …`.
  const steps = events.filter(
    (e) =>
      e.phase === "build" &&
      (/^Step \d+\/\d+ : /.test(e.text) ||
        (/^\[[^\]]*\d+\/\d+\] /.test(e.text) && !e.text.endsWith("(cached)"))),
  ).length;
  const labelSteps = events.filter(
    (e) => e.phase === "build" && /^Step \d+\/\d+ : LABEL "?io\.deploy\./.test(e.text),
  ).length;
  return {
    git: span(cloning, fetched),
    prepare: span(fetched, buildStart),
    build: span(buildStart, built),
    labelSteps: span(firstLabel, built),
    wait: span(built ?? fetched, deploying),
    start: span(deploying, started),
    health: span(checking, done),
    total: span(pending, done),
    buildSteps: steps,
    labelStepCount: labelSteps,
    firstEventAt: pending,
    buildStartAt: buildStart,
    builtAt: built,
    doneAt: done,
  };
}

/** Phases of every service of a tool run, plus the process's own start-up and tear-down around them. */
export async function toolRunPhases(logsDir, services, processRun) {
  const perService = {};
  for (const name of services) {
    try {
      perService[name] = toolPhases(await lastRunEvents(join(logsDir, `${name}.log`)));
    } catch (error) {
      perService[name] = { error: String(error) };
    }
  }
  const firsts = Object.values(perService)
    .map((p) => p.firstEventAt)
    .filter((t) => t != null);
  const dones = Object.values(perService)
    .map((p) => p.doneAt)
    .filter((t) => t != null);
  return {
    services: perService,
    startupMs: firsts.length ? Math.min(...firsts) - processRun.startEpochMs : null,
    teardownMs: dones.length ? processRun.endEpochMs - Math.max(...dones) : null,
  };
}

/** Phases of one service of the bash baseline, from its `<name>.times` file. */
export async function bashPhases(file) {
  const marks = {};
  for (const line of (await readFile(file, "utf8")).trim().split("\n")) {
    const [seconds, name] = line.split(" ");
    marks[name] = Number(seconds) * 1000;
  }
  const d = (a, b) =>
    marks[a] !== undefined && marks[b] !== undefined ? Math.round(marks[b] - marks[a]) : null;
  return {
    git: d("start", "fetched"),
    build: d("fetched", "built"),
    start: d("built", "started"),
    health: d("started", "healthy"),
    total: d("start", "healthy"),
  };
}

/** The mean of the non-null values of `key` over `rows`. */
export function meanOf(rows, key) {
  const values = rows.map((row) => row[key]).filter((v) => typeof v === "number");
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}
