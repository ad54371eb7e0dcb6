import { describe, expect, it } from "vitest";
import {
  ambiguousMessage,
  classifyRef,
  commitsIn,
  describeRefs,
  isFullCommitId,
  parseLsRemote,
  type RemoteRefs,
  unknownRefMessage,
} from "../../src/git/refs.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);
const TAG_OBJECT = "7".repeat(40);
const ABBREVIATED = "3f2a9c1";

/** What `git ls-remote --heads --tags` prints for a repository with an annotated tag and a lightweight one. */
const LISTING = [
  `${A}\trefs/heads/main`,
  `${B}\trefs/heads/release/2026`,
  `${C}\trefs/tags/light`,
  `${TAG_OBJECT}\trefs/tags/v1.2.0`,
  `${A}\trefs/tags/v1.2.0^{}`,
  "",
].join("\n");

function remote(branches: Record<string, string>, tags: Record<string, string> = {}): RemoteRefs {
  return { branches: new Map(Object.entries(branches)), tags: new Map(Object.entries(tags)) };
}

describe("parseLsRemote", () => {
  it("tells branches from tags and peels an annotated tag to its commit", () => {
    const refs = parseLsRemote(LISTING);
    expect(refs.branches).toEqual(
      new Map([
        ["main", A],
        ["release/2026", B],
      ]),
    );
    expect(refs.tags).toEqual(
      new Map([
        ["light", C],
        ["v1.2.0", A],
      ]),
    );
  });

  it("ignores what is neither (HEAD, pull requests, notes) and lines that are not refs", () => {
    const refs = parseLsRemote(
      `${A}\tHEAD\n${B}\trefs/pull/1/head\n${C}\trefs/notes/commits\nwarning: redirecting\n\n`,
    );
    expect(refs.branches.size + refs.tags.size).toBe(0);
  });
});

describe("classifyRef", () => {
  const refs = parseLsRemote(LISTING);

  it.each([
    ["main", { kind: "branch", name: "main", commit: A }],
    ["release/2026", { kind: "branch", name: "release/2026", commit: B }],
    ["v1.2.0", { kind: "tag", name: "v1.2.0", commit: A }],
    ["light", { kind: "tag", name: "light", commit: C }],
    [C, { kind: "commit", commit: C }],
    [C.toUpperCase(), { kind: "commit", commit: C }],
    ["e".repeat(64), { kind: "commit", commit: "e".repeat(64) }],
    [ABBREVIATED, { kind: "abbreviation", prefix: ABBREVIATED }],
    ["3F2A", { kind: "abbreviation", prefix: "3f2a" }],
    ["c".repeat(39), { kind: "abbreviation", prefix: "c".repeat(39) }],
    ["abc", { kind: "unknown" }],
    ["v9.9.9", { kind: "unknown" }],
    ["feature/gone", { kind: "unknown" }],
    ["3f2a9c1z", { kind: "unknown" }],
  ])("%s → %j", (ref, target) => {
    expect(classifyRef(ref, refs)).toEqual(target);
  });

  it("a branch wins over a tag of the same name, and either over a commit id it looks like", () => {
    expect(classifyRef("v2", remote({ v2: A }, { v2: B }))).toEqual({
      kind: "branch",
      name: "v2",
      commit: A,
    });
    expect(classifyRef("cafe", remote({}, { cafe: B }))).toEqual({ kind: "tag", name: "cafe", commit: B });
    expect(classifyRef(C, remote({ [C]: A }))).toEqual({ kind: "branch", name: C, commit: A });
  });
});

describe("isFullCommitId", () => {
  it.each([
    [A, true],
    [A.toUpperCase(), true],
    ["f".repeat(64), true],
    ["f".repeat(39), false],
    ["f".repeat(41), false],
    [`${"g".repeat(40)}`, false],
    ["main", false],
  ])("%s → %s", (ref, full) => {
    expect(isFullCommitId(ref)).toBe(full);
  });
});

describe("commitsIn (git cat-file --batch-check)", () => {
  it("keeps the commits among objects of every type, and none that are missing", () => {
    const output = [`${A} commit 230`, `${B} tree 74`, `${C} blob 12`, `${TAG_OBJECT} missing`, ""].join(
      "\n",
    );
    expect(commitsIn(output)).toEqual([A]);
    expect(commitsIn(`${A} commit 230\n${C} commit 180\n`)).toEqual([A, C]);
    expect(commitsIn("")).toEqual([]);
  });
});

describe("messages for a ref that names nothing, or too much", () => {
  it("names the ref and a few branches and tags, newest-looking tags first", () => {
    const many = remote(
      { main: A, develop: B },
      Object.fromEntries(
        ["v1.2.0", "v1.10.0", "v1.9.0", "v0.1.0", "v1.0.0", "v2.0.0-rc.1", "old"].map((t) => [t, C]),
      ),
    );
    expect(unknownRefMessage("v9", "git@github.com:acme/api.git", many)).toBe(
      "v9 is not a branch, tag or commit of git@github.com:acme/api.git " +
        "(branches: develop, main; tags: v2.0.0-rc.1, v1.10.0, v1.9.0, v1.2.0, v1.0.0 and 2 more)",
    );
  });

  it("says so when a repository has no tags, or nothing at all", () => {
    expect(describeRefs(remote({ main: A }))).toBe("branches: main; no tags");
    expect(describeRefs(remote({}, { v1: A }))).toBe("no branches; tags: v1");
    expect(describeRefs(remote({}))).toBe("it has no branches or tags");
  });

  it("lists a few of the commits an ambiguous abbreviation starts", () => {
    const commits = ["3f2a1", "3f2a2", "3f2a3", "3f2a4", "3f2a5", "3f2a6"].map((p) => p.padEnd(40, "0"));
    expect(ambiguousMessage("3f2a", "/srv/api", commits.slice(0, 2))).toBe(
      "commit 3f2a is ambiguous in /srv/api: 2 commits start with it (3f2a10000000, 3f2a20000000); give more digits",
    );
    expect(ambiguousMessage("3f2a", "/srv/api", commits)).toMatch(
      /6 commits start with it \(.*3f2a50000000 and 1 more\)/,
    );
  });
});
