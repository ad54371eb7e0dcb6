/** What every part of one bench run shares: paths, settings from the environment, this run's id, logging. */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = join(ROOT, "dist", "cli.js");
export const BASELINE = join(ROOT, "bench", "baseline.sh");
/** Every run's JSON goes here (git-ignored); bench/results/reference.json is the one committed on purpose. */
export const RUNS_DIR = join(ROOT, "bench", "results", "runs");

/** Fixture services per deploy variant. */
export const N = 6;
/** Rounds of every deploy variant (BENCH_ROUNDS): the figures are medians. */
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3) || 3);
/** Tool and Compose no-op reruns after each cold deploy. */
export const NOOP_RUNS = 3;

/** BENCH_ONLY=cold,bashBk: measure only these variants (also `help`, `plan`), to look into one figure. */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",")) : null;
export const wanted = (variant) => !ONLY || ONLY.has(variant);

/** This run's id: in every project name, so nothing of one run can meet another's. */
export const ID = randomBytes(3).toString("hex");

export const log = (line) => process.stderr.write(`[bench] ${line}\n`);
export const secs = (ms) => (ms / 1000).toFixed(2);
