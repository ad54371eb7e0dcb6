import { describe, expect, it } from "vitest";
import { ago, formatReleases } from "../../src/commands/releases.js";
import { releaseFromRecord, releaseRecordOptions } from "../../src/docker/release-record.js";
import { matchRelease, retention, rollbackTarget } from "../../src/plan/releases.js";
import type { Release, ServiceImage } from "../../src/release.js";

/** A release of image `img-<image>` of commit `<commit>…`, `minute` minutes into the day. */
function release(name: string, image: string, commit: string, minute: number): Release {
  const time = new Date(Date.UTC(2026, 10, 30, 0, minute)).toISOString();
  return {
    recordId: `record-${name}`,
    imageId: `sha256:${image.repeat(64).slice(0, 64)}`,
    tag: `p/chat:${commit.repeat(12).slice(0, 12)}`,
    commit: commit.repeat(40).slice(0, 40),
    ref: "main",
    refKind: "branch",
    createdAt: time,
    runId: `run-${name}`,
    configHash: "c",
    buildHash: "b",
    kind: "service",
  };
}
const id = (image: string) => `sha256:${image.repeat(64).slice(0, 64)}`;

const v1 = release("v1", "a", "1", 1);
const v2 = release("v2", "b", "2", 2);
const v3 = release("v3", "c", "3", 3);
/** v2's commit rebuilt with --force-rebuild: same tag and commit, another image. */
const v2again = release("v2again", "d", "2", 4);
/** A rollback to v1 recorded again as a release. */
const v1back = { ...release("v1back", "a", "1", 5) };

describe("rollbackTarget (no --to)", () => {
  it.each([
    { name: "v1 → v2: back to v1", releases: [v1, v2], live: id("b"), want: "v1" },
    {
      // A failed deploy never became a release: the live v2's predecessor is v1, whatever images lie about.
      name: "v1 → v2 → failed v3 build: still v1",
      releases: [v1, v2],
      live: id("b"),
      want: "v1",
    },
    { name: "v1 → v2 → v3: v2", releases: [v3, v1, v2], live: id("c"), want: "v2" },
    {
      name: "--force-rebuild of v2's commit: the first v2 image",
      releases: [v1, v2, v2again],
      live: id("d"),
      want: "v2",
    },
    {
      name: "after a rollback to v1 (recorded again): v2again",
      releases: [v1, v2, v2again, v1back],
      live: id("a"),
      want: "v2again",
    },
    {
      name: "live is not a release (deployed before releases): the newest other",
      releases: [v1, v2],
      live: id("z"),
      want: "v2",
    },
    { name: "nothing runs: the newest release", releases: [v1, v2], live: null, want: "v2" },
    {
      name: "the live release is older than others (rolled back to v1): the one before v1",
      releases: [v1, v2, v3],
      live: id("a"),
      want: null,
    },
  ])("$name", ({ releases, live, want }) => {
    const choice = rollbackTarget(releases, live);
    if (want === null) {
      expect(choice).toEqual({ ok: false, message: "no earlier release than the live one" });
    } else {
      expect(choice.ok && choice.release.runId).toBe(`run-${want}`);
    }
  });

  it("says when nothing was ever recorded", () => {
    expect(rollbackTarget([], id("a"))).toEqual({
      ok: false,
      message: expect.stringContaining("no release is recorded yet"),
    });
  });

  it("a single release that is live has nothing before it", () => {
    expect(rollbackTarget([v1], id("a"))).toMatchObject({ ok: false });
  });
});

describe("matchRelease (--to)", () => {
  const releases = [v1, v2, v3, v2again];
  it.each([
    { to: "p/chat:111111111111", want: "v1" },
    { to: "111111111111", want: "v1" },
    { to: "1111", want: "v1" },
    { to: "3333333", want: "v3" },
    { to: "cccc", want: "v3" },
    { to: `sha256:${"d".repeat(12)}`, want: "v2again" },
    { to: "bbbbbbbbbbbb", want: "v2" },
  ])("$to → $want", ({ to, want }) => {
    const choice = matchRelease(releases, to);
    expect(choice.ok && choice.release.runId).toBe(`run-${want}`);
  });

  it("a commit rebuilt into two images is ambiguous: name the image", () => {
    const choice = matchRelease(releases, "2222");
    expect(choice.ok).toBe(false);
    expect(!choice.ok && choice.message).toMatch(/matches several releases: .*dddddddddddd.*bbbbbbbbbbbb/);
  });

  it("one image recorded twice is one choice: the newest record", () => {
    const choice = matchRelease([v1, v2, v1back], "1111");
    expect(choice.ok && choice.release.runId).toBe("run-v1back");
  });

  it.each(["123", "eeee", "p/chat:999999999999", "latest"])(
    "%s matches nothing, and the error lists releases",
    (to) => {
      const choice = matchRelease(releases, to);
      expect(choice.ok).toBe(false);
      expect(!choice.ok && choice.message).toContain(
        `no release matches "${to}"; recorded: p/chat:222222222222`,
      );
    },
  );
});

describe("retention", () => {
  const image = (letter: string, created: number, tags: string[] = []): ServiceImage => ({
    id: id(letter),
    tags,
    created,
  });

  it.each([
    {
      name: "keeps the last 2 releases, drops the oldest",
      releases: [v1, v2, v3],
      images: [image("a", 1), image("b", 2), image("c", 3)],
      inUse: ["c"],
      keep: 2,
      dropped: ["v1"],
      removed: ["a"],
    },
    {
      name: "failed builds (never released) go first, then old releases",
      releases: [v1, v2, v3],
      images: [image("a", 1), image("b", 2), image("f", 5, ["p/chat:ffff"]), image("c", 3)],
      inUse: ["c"],
      keep: 2,
      dropped: ["v1"],
      removed: ["f", "a"],
    },
    {
      name: "the live release is kept even when older than keep allows (after a rollback)",
      releases: [v1, v2, v3],
      images: [image("a", 1), image("b", 2), image("c", 3)],
      inUse: ["a"],
      keep: 1,
      dropped: ["v2"],
      removed: ["b"],
    },
    {
      name: "an untagged image left by --force-rebuild is removed by id, its release with it",
      releases: [v1, v2, v2again],
      images: [image("a", 1), image("b", 2), image("d", 4, ["p/chat:222222222222"])],
      inUse: ["d"],
      keep: 1,
      dropped: ["v1", "v2"],
      removed: ["a", "b"],
    },
    {
      name: "one image released twice counts once",
      releases: [v1, v2, v1back],
      images: [image("a", 1), image("b", 2)],
      inUse: ["a"],
      keep: 2,
      dropped: [],
      removed: [],
    },
    {
      name: "an image a stopped container uses stays",
      releases: [v1, v2, v3],
      images: [image("a", 1), image("b", 2), image("c", 3), image("x", 9)],
      inUse: ["c", "x"],
      keep: 1,
      dropped: ["v1", "v2"],
      removed: ["a", "b"],
    },
  ])("$name", ({ releases, images, inUse, keep, dropped, removed }) => {
    const plan = retention({ releases, images, inUseImageIds: new Set(inUse.map(id)), keep });
    expect(plan.dropReleases.map((r) => r.runId.replace("run-", "")).sort()).toEqual([...dropped].sort());
    expect(plan.removeImages.map((i) => i.id)).toEqual(removed.map(id));
  });
});

describe("release records", () => {
  it("round-trip through a record container's labels, which hold the image by id", () => {
    const { recordId: _, ...fields } = v2;
    const options = releaseRecordOptions("p", "vps-1", "chat", fields);
    expect(options.name).toBe("p-chat-release-run-v2");
    expect(options.Image).toBe(v2.imageId);
    expect(options.HostConfig).toEqual({ NetworkMode: "none", RestartPolicy: { Name: "no" } });
    expect(releaseFromRecord("record-v2", options.Labels ?? {})).toEqual(v2);
  });

  it("keep what the ref was: a tag round-trips, a record of an older version has none", () => {
    const { recordId: _, ...fields } = { ...v2, ref: "v1.2.0", refKind: "tag" as const };
    const labels = releaseRecordOptions("p", "vps-1", "chat", fields).Labels ?? {};
    expect(labels["io.deploy.ref-kind"]).toBe("tag");
    expect(releaseFromRecord("record-v2", labels)?.refKind).toBe("tag");
    const { "io.deploy.ref-kind": _kind, ...older } = labels;
    expect(releaseFromRecord("record-v2", older)?.refKind).toBeNull();
    expect(releaseFromRecord("record-v2", { ...labels, "io.deploy.ref-kind": "bogus" })?.refKind).toBeNull();
  });

  it("a record without its image id is not trusted", () => {
    expect(releaseFromRecord("x", { "io.deploy.release.tag": "p/chat:1" })).toBeNull();
  });
});

describe("deploy releases output", () => {
  it("marks the live release and says how long ago", () => {
    const now = Date.parse(v3.createdAt) + 90_000;
    const text = formatReleases(
      [
        {
          service: "chat",
          host: "local",
          error: null,
          // v3 deployed from a tag; v2 recorded by a version that did not record what its ref was.
          releases: [
            { ...v3, ref: "v1.2.0", refKind: "tag" as const },
            { ...v2, refKind: null },
          ].map((r) => ({
            live: r.runId === v3.runId,
            created_at: r.createdAt,
            tag: r.tag,
            image_id: r.imageId,
            commit: r.commit,
            ref: r.ref,
            ref_kind: r.refKind,
            run_id: r.runId,
            kind: r.kind,
          })),
        },
        { service: "chat", host: "vps-1", error: null, releases: [] },
      ],
      now,
    );
    expect(text).toBe(
      [
        "chat on host local:",
        "live  age     tag                  image         commit        ref           run",
        "*     1m ago  p/chat:333333333333  cccccccccccc  333333333333  v1.2.0 (tag)  run-v3",
        "      2m ago  p/chat:222222222222  bbbbbbbbbbbb  222222222222  main          run-v2",
        "",
        "chat on host vps-1: no release recorded yet",
        "",
      ].join("\n"),
    );
  });

  it.each([
    [0, "0s ago"],
    [59_000, "59s ago"],
    [61_000, "1m ago"],
    [3 * 3600_000, "3h ago"],
    [50 * 3600_000, "2d ago"],
  ])("ago(%i) = %s", (ms, text) => {
    expect(ago(ms)).toBe(text);
  });
});
