import type { RefKind } from "./events.js";

/**
 * A release: one deploy of a service on a host that passed its gate. Releases are recorded on the host (see
 * docker/release-record.ts), so every deployer of that host — cron on the VPS, a CI runner — sees the same
 * history. Rollback and retention are pure selections
 * over that history (plan/releases.ts).
 */
export interface Release {
  /** The record's own id on the host (removing the record lets its image go). */
  recordId: string;
  /** The image by id: a tag can move (a `--force-rebuild` of the same commit), the id cannot. */
  imageId: string;
  tag: string;
  commit: string;
  /** The branch, tag or commit that was asked for. */
  ref: string;
  /** What `ref` turned out to be; null on a release recorded before the tool recorded it. */
  refKind: RefKind | null;
  /** ISO-8601 time the release went live. */
  createdAt: string;
  runId: string;
  configHash: string;
  buildHash: string;
  kind: "service" | "job";
}

/** An image of a service on a host, as the engine lists it. */
export interface ServiceImage {
  id: string;
  tags: string[];
  /** Seconds since the epoch. */
  created: number;
}
