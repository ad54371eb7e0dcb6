import type { Release, ServiceImage } from "../release.js";

/** Newest first (by time, then run id: run ids sort by their start time). */
export function newestFirst(releases: readonly Release[]): Release[] {
  return [...releases].sort(
    (a, b) => b.createdAt.localeCompare(a.createdAt) || b.runId.localeCompare(a.runId),
  );
}

/** The release serving now: the newest one of the image the live container runs. */
export function liveRelease(releases: readonly Release[], liveImageId: string | null): Release | null {
  if (!liveImageId) return null;
  return newestFirst(releases).find((release) => release.imageId === liveImageId) ?? null;
}

export type Selection = { ok: true; release: Release } | { ok: false; message: string };

/**
 * The release a rollback puts back: the one named by `to` (a tag, an abbreviated commit or image id), else the
 * newest release older than the live one that runs another image. Only releases qualify: an image that failed
 * its gate, or that another run left behind, never became one.
 */
export function rollbackTarget(
  releases: readonly Release[],
  liveImageId: string | null,
  to?: string | null,
): Selection {
  if (to) return matchRelease(releases, to);
  const sorted = newestFirst(releases);
  const live = liveRelease(sorted, liveImageId);
  const older = live ? sorted.slice(sorted.indexOf(live) + 1) : sorted;
  const previous = older.find((release) => release.imageId !== liveImageId);
  if (previous) return { ok: true, release: previous };
  return {
    ok: false,
    message:
      sorted.length === 0
        ? "no release is recorded yet (a release is recorded when a deploy passes its health gate)"
        : "no earlier release than the live one",
  };
}

/** Hex strings this short match too much to name a commit or an image (git's own minimum abbreviation). */
const MIN_ABBREVIATION = 4;

/**
 * The release `to` names: its whole tag or the tag's version part, a commit or an image id (full or abbreviated).
 * Several releases of one image are one choice (the newest is taken); several images are ambiguous.
 */
export function matchRelease(releases: readonly Release[], to: string): Selection {
  const wanted = to.trim().toLowerCase();
  const hex = wanted.replace(/^sha256:/, "");
  const isAbbreviation = /^[0-9a-f]+$/.test(hex) && hex.length >= MIN_ABBREVIATION;
  const matches = newestFirst(releases).filter(
    (release) =>
      release.tag === to ||
      release.tag.slice(release.tag.lastIndexOf(":") + 1) === to ||
      (isAbbreviation &&
        (release.commit.startsWith(hex) || release.imageId.replace(/^sha256:/, "").startsWith(hex))),
  );
  const images = [...new Set(matches.map((release) => release.imageId))];
  const [first] = matches;
  if (first && images.length === 1) return { ok: true, release: first };
  if (images.length > 1) {
    const listed = matches.map((release) => `${release.tag} (${shortId(release.imageId)})`);
    return { ok: false, message: `"${to}" matches several releases: ${[...new Set(listed)].join(", ")}` };
  }
  const known = [
    ...new Set(newestFirst(releases).map((release) => `${release.tag} (${shortId(release.imageId)})`)),
  ].slice(0, 5);
  return {
    ok: false,
    message: `no release matches "${to}"${known.length > 0 ? `; recorded: ${known.join(", ")}` : "; none is recorded yet"}`,
  };
}

export interface Retention {
  /** Records of releases whose image is not kept: removed first, so the engine lets their image go. */
  dropReleases: Release[];
  /** Images to remove, builds that never became a release first, then those of dropped releases. */
  removeImages: ServiceImage[];
}

/**
 * Pure retention: the images of the newest `keep` releases and every image a container uses (the live one
 * among them) stay, with all their releases; every other image goes — never-released ones first.
 */
export function retention(input: {
  releases: readonly Release[];
  images: readonly ServiceImage[];
  inUseImageIds: ReadonlySet<string>;
  keep: number;
}): Retention {
  const kept = new Set(input.inUseImageIds);
  const released = new Set<string>();
  for (const release of newestFirst(input.releases)) {
    if (released.size < input.keep) released.add(release.imageId);
    if (released.has(release.imageId)) kept.add(release.imageId);
  }
  const dropReleases = input.releases.filter((release) => !kept.has(release.imageId));
  const everReleased = new Set(input.releases.map((release) => release.imageId));
  const stale = input.images.filter((image) => !kept.has(image.id));
  const oldestFirst = (a: ServiceImage, b: ServiceImage) => a.created - b.created;
  return {
    dropReleases,
    removeImages: [
      ...stale.filter((image) => !everReleased.has(image.id)).sort(oldestFirst),
      ...stale.filter((image) => everReleased.has(image.id)).sort(oldestFirst),
    ],
  };
}

/** `0123456789ab` of `sha256:0123456789ab…`, as the docker CLI shows image ids. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}
