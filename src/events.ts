import type { Phase } from "./errors.js";

/** What a deployed ref turned out to be. */
export type RefKind = "branch" | "tag" | "commit";

/** The states of SPEC §5; the last five are final. */
export type ServiceState =
  | "pending"
  | "cloning"
  | "building"
  | "deploying"
  | "checking"
  | "succeeded"
  | "unchanged"
  | "failed"
  | "rolled_back"
  | "skipped";

export const FINAL_STATES: readonly ServiceState[] = [
  "succeeded",
  "unchanged",
  "failed",
  "rolled_back",
  "skipped",
];

/** Phases that tag the lines of a service's log file. */
export type LogPhase = "git" | "build" | "deploy" | "health";

export type HealthGate = "http" | "docker" | "running" | "none";

/** One deploy target: a service on one host. */
export interface TargetRef {
  service: string;
  host: string;
  /** Base name of its files: `<service>` or, for services on several hosts, `<service>@<host>`. */
  key: string;
}

/** The content of `<key>.status.json` (SPEC §5), snake_case as written. */
export interface StatusRecord {
  service: string;
  run_id: string;
  state: ServiceState;
  host: string;
  /** The ref asked for: a branch, a tag or a commit id, as given. */
  branch: string;
  /** What `branch` turned out to be, once git has resolved it (a rollback: what the release was deployed from). */
  ref_kind: RefKind | null;
  commit: string | null;
  image: string | null;
  /** The id of `image` once it is live (a tag can move; the id cannot). */
  image_id: string | null;
  container_id: string | null;
  /** What this run replaced: the release live before it (its tag; a rebuild may have moved it) and its id. */
  previous_image: string | null;
  previous_image_id: string | null;
  live_image: string | null;
  live_commit: string | null;
  health_gate: HealthGate;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  /** During a replace: how long the service was not serving (old container stopped → new one healthy). */
  downtime_ms: number | null;
  /** A Swarm service's replicas: wanted, and running the live version (absent for containers). */
  replicas?: { desired: number; running: number };
  /** A Swarm service's nodes running it, by node id (two nodes may share a hostname). */
  nodes?: string[];
  /** A short human sentence on why the final state was reached (e.g. "already runs abc123"), or null. */
  reason: string | null;
  error: { phase: Phase; message: string } | null;
}

export type RunEvent =
  /** Emitted at every state change with the whole record as it now stands. */
  | { type: "status"; target: TargetRef; status: StatusRecord }
  /** One line of progress or output for a service (build output, git messages, probe results). */
  | { type: "log"; target: TargetRef; phase: LogPhase; line: string };

/** Header facts written at the top of a service's log section for this run. */
export interface RunHeader {
  runId: string;
  startedAt: string;
  branch: string;
  commit?: string;
}

export interface ServiceSummary {
  service: string;
  host: string;
  state: ServiceState;
  commit: string | null;
  image: string | null;
  duration_ms: number | null;
  reason: string | null;
  error: { phase: Phase; message: string } | null;
}

/** `runs/<run-id>.json` and `last-run.json`. */
export interface RunSummary {
  run_id: string;
  command: string[];
  options: Record<string, unknown>;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  exit_code: number;
  services: ServiceSummary[];
}

export type EventSink = (event: RunEvent) => void;
