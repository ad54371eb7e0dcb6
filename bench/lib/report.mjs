/** The figures of a run (the table's rows, also written to the JSON) and the tables printed under them. */
import { meanOf } from "./phases.mjs";

export const figures = [];

/**
 * One line of the table. `target`: { op: "<=" | "<", limit, on: "ratio" | "value" } or null (informational).
 * `rounds`: value / baseline within each round, where both ran.
 */
export function figure(
  id,
  name,
  { value, unit, baseline = null, baselineName = null, target = null, note = null, rounds = null },
) {
  const ratio = value != null && baseline != null && baseline > 0 ? value / baseline : null;
  // Times come in ms; figures in seconds are stored in seconds.
  const scale = (x) => (x == null ? null : unit === "s" ? x / 1000 : x);
  let met = null;
  if (target) {
    const subject = target.on === "ratio" ? ratio : value;
    if (subject != null) met = target.op === "<" ? subject < target.limit : subject <= target.limit;
  }
  figures.push({
    id,
    figure: name,
    value: scale(value),
    unit,
    baseline: scale(baseline),
    baseline_name: baselineName,
    ratio,
    target,
    met,
    note,
    ratio_per_round: rounds,
  });
}

/** A ratio target: value / baseline must stay at or under `limit`. */
export const ratioTarget = (limit) => ({ op: "<=", limit, on: "ratio" });

/** Ratio targets first (the headline rows), then the other targets, then the informational rows. */
const rank = (f) => (f.target?.on === "ratio" ? 0 : f.target ? 1 : 2);

function fmt(value, unit) {
  if (value == null) return "n/a";
  if (unit === "s") return `${value.toFixed(2)} s`;
  if (unit === "ms") return `${Math.round(value)} ms`;
  if (unit === "MB") return `${value.toFixed(0)} MB`;
  return String(value);
}

function targetText(target, unit) {
  if (!target) return "—";
  return target.on === "ratio"
    ? `${target.op} ${target.limit.toFixed(2)}×`
    : `${target.op} ${fmt(target.limit, unit)}`;
}

export const n = (value) => (value == null ? "-" : String(Math.round(value)));

/** Prints `rows` (arrays of strings) under `head` in aligned columns (numbers right-aligned). */
export function grid(head, rows, indent = "") {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = head.map((_, i) => rows.every((r) => /^[-\d.,]*$/.test(r[i])));
  const line = (cells) =>
    indent +
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  console.log(line(head));
  console.log(indent + widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

/** Puts the figures in the table's order (stable within each rank). */
export function sortFigures() {
  figures.sort((a, b) => rank(a) - rank(b));
}

export function printTable() {
  grid(
    ["figure", "value", "baseline", "ratio", "target", "met"],
    figures.map((f) => [
      f.figure,
      fmt(f.value, f.unit),
      f.baseline == null ? "—" : `${fmt(f.baseline, f.unit)} ${f.baseline_name}`,
      f.ratio == null ? "—" : `${f.ratio.toFixed(2)}×`,
      targetText(f.target, f.unit),
      f.target ? (f.met == null ? "n/a" : f.met ? "met" : "NOT MET") : "info",
    ]),
  );
  const spread = figures.filter((f) => (f.ratio_per_round ?? []).length > 1);
  if (spread.length > 0) {
    console.log("\nratio within each round (the runs of one round are neighbours in time):");
    for (const f of spread) {
      console.log(`  ${f.figure.padEnd(56)} ${f.ratio_per_round.map((r) => `${r.toFixed(2)}×`).join("  ")}`);
    }
  }
}

/** Per service phases of one tool run (from its logs), and the process's start-up and tear-down. */
export function printPhases(title, phases) {
  console.log(`\n${title} [ms]`);
  const rows = Object.entries(phases.services).map(([name, p]) =>
    p.error
      ? [name, p.error, "", "", "", "", "", "", "", ""]
      : [
          name,
          n(p.git),
          n(p.prepare),
          n(p.build),
          n(p.labelSteps),
          String(p.buildSteps),
          n(p.wait),
          n(p.start),
          n(p.health),
          n(p.total),
        ],
  );
  grid(
    ["service", "git", "slot+prep", "build", "LABEL steps", "steps", "wait", "start", "health", "total"],
    rows,
    "  ",
  );
  console.log(
    `  process: ${n(phases.startupMs)} ms from spawn to the first service event, ${n(phases.teardownMs)} ms from the last final state to exit`,
  );
}

/** Per service phases of one bash baseline run (from its .times files). */
export function printBashPhases(title, phases) {
  console.log(`\n${title}, per service (from its .times files) [ms]`);
  grid(
    ["service", "git", "build", "start", "health", "total"],
    Object.entries(phases).map(([name, p]) => [
      name,
      n(p.git),
      n(p.build),
      n(p.start),
      n(p.health),
      n(p.total),
    ]),
    "  ",
  );
}

/** Mean phases per service of a tool run and a bash run side by side. */
export function printMeanPhases(title, toolPhases, bashPhases) {
  const tool = Object.values(toolPhases.services);
  const bash = Object.values(bashPhases);
  console.log(`\n${title} [ms]`);
  grid(
    ["phase", "tool", "bash"],
    [
      ["git", n(meanOf(tool, "git")), n(meanOf(bash, "git"))],
      ["slot + prepare", n(meanOf(tool, "prepare")), "-"],
      ["build", n(meanOf(tool, "build")), n(meanOf(bash, "build"))],
      ["  of which LABEL steps", n(meanOf(tool, "labelSteps")), "0"],
      ["start", n(meanOf(tool, "start")), n(meanOf(bash, "start"))],
      ["health", n(meanOf(tool, "health")), n(meanOf(bash, "health"))],
      ["total", n(meanOf(tool, "total")), n(meanOf(bash, "total"))],
    ],
    "  ",
  );
}
