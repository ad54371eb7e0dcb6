import { describe, expect, it } from "vitest";
import { LABEL } from "../../src/labels.js";
import { type Decision, decide, needsPull, type Observed, type Wanted } from "../../src/plan/decide.js";

const wanted: Wanted = { commit: "c2c2c2c2c2c2c2", buildHash: "b2", configHash: "k1", force: false };

function container(
  labels: { commit: string; build: string; config: string },
  running = true,
): Observed["current"] {
  return {
    running,
    exitCode: 0,
    image: `shop/api:${labels.commit.slice(0, 12)}`,
    labels: {
      [LABEL.commit]: labels.commit,
      [LABEL.buildHash]: labels.build,
      [LABEL.configHash]: labels.config,
    },
  };
}

const sameEverything = container({ commit: "c2c2c2c2c2c2c2", build: "b2", config: "k1" });
const imageForCommit = { [LABEL.buildHash]: "b2" };

describe("decide", () => {
  it.each<[string, Observed, Partial<Wanted>, Decision]>([
    [
      "first deploy, no image yet",
      { current: null, existingImage: null },
      {},
      { action: "build", reason: "no container yet: first deploy" },
    ],
    [
      "first deploy, image already built",
      { current: null, existingImage: imageForCommit },
      {},
      { action: "reuse-image", reason: "no container yet: first deploy" },
    ],
    [
      "same commit and configuration",
      { current: sameEverything, existingImage: imageForCommit },
      {},
      { action: "unchanged", reason: "already runs c2c2c2c2c2c2 with this configuration" },
    ],
    [
      "another commit with an identical build context (monorepo)",
      { current: container({ commit: "c1c1c1c1c1c1c1", build: "b2", config: "k1" }), existingImage: null },
      {},
      {
        action: "unchanged",
        reason: "the build context of c2c2c2c2c2c2 is identical to the running c1c1c1c1c1c1",
      },
    ],
    [
      "a new commit",
      { current: container({ commit: "c1c1c1c1c1c1c1", build: "b1", config: "k1" }), existingImage: null },
      {},
      { action: "build", reason: "new commit c2c2c2c2c2c2 (running c1c1c1c1c1c1)" },
    ],
    [
      "only the configuration changed",
      {
        current: container({ commit: "c2c2c2c2c2c2c2", build: "b2", config: "k0" }),
        existingImage: imageForCommit,
      },
      {},
      { action: "recreate", reason: "the configuration changed" },
    ],
    [
      "a stopped container",
      {
        current: container({ commit: "c2c2c2c2c2c2c2", build: "b2", config: "k1" }, false),
        existingImage: imageForCommit,
      },
      {},
      { action: "recreate", reason: "the container is not running" },
    ],
    [
      "forced",
      { current: sameEverything, existingImage: imageForCommit },
      { force: true },
      { action: "build", reason: "--force-rebuild" },
    ],
    [
      "a job that completed with these inputs",
      {
        current: container({ commit: "c2c2c2c2c2c2c2", build: "b2", config: "k1" }, false),
        existingImage: imageForCommit,
      },
      { kind: "job" },
      { action: "unchanged", reason: "already ran c2c2c2c2c2c2 with this configuration" },
    ],
    [
      "a job whose last run failed",
      {
        current: {
          ...(container({ commit: "c2c2c2c2c2c2c2", build: "b2", config: "k1" }, false) as object),
          exitCode: 2,
        } as Observed["current"],
        existingImage: imageForCommit,
      },
      { kind: "job" },
      { action: "recreate", reason: "its last run did not complete with exit 0" },
    ],
    [
      "a rollback to another image of the same build (after --force-rebuild): the image decides",
      {
        current: { ...(sameEverything as object), imageId: "sha256:bbbbbbbbbbbbbbbb" } as Observed["current"],
        existingImage: null,
      },
      { imageId: "sha256:aaaaaaaaaaaaaaaa" },
      {
        action: "reuse-image",
        reason: "image aaaaaaaaaaaa of c2c2c2c2c2c2 (running bbbbbbbbbbbb of c2c2c2c2c2c2)",
      },
    ],
    [
      "a rollback to the image that already runs",
      {
        current: { ...(sameEverything as object), imageId: "sha256:aaaaaaaaaaaaaaaa" } as Observed["current"],
        existingImage: null,
      },
      { imageId: "sha256:aaaaaaaaaaaaaaaa" },
      { action: "unchanged", reason: "already runs c2c2c2c2c2c2 with this configuration" },
    ],
  ])("%s", (_name, observed, overrides, expected) => {
    expect(decide(observed, { ...wanted, ...overrides })).toEqual(expected);
  });
});

describe("decide for an image service (pulled, compared by image id)", () => {
  const pulled: Wanted = {
    commit: "",
    buildHash: "sha256:aaaaaaaaaaaaaaaa",
    configHash: "k1",
    force: false,
    imageId: "sha256:aaaaaaaaaaaaaaaa",
    reference: "redis:7",
  };
  const running = (imageId: string, config = "k1"): Observed => ({
    current: {
      running: true,
      exitCode: 0,
      image: "shop/cache:aaaaaaaaaaaa",
      imageId,
      labels: { [LABEL.configHash]: config, [LABEL.buildHash]: imageId },
    },
    existingImage: null,
  });

  it.each<[string, Observed, Partial<Wanted>, Decision]>([
    [
      "first deploy",
      { current: null, existingImage: null },
      {},
      { action: "reuse-image", reason: "no container yet: first deploy" },
    ],
    [
      "the same image with the same configuration",
      running("sha256:aaaaaaaaaaaaaaaa"),
      {},
      { action: "unchanged", reason: "already runs redis:7 (image aaaaaaaaaaaa) with this configuration" },
    ],
    [
      "the same image, another configuration",
      running("sha256:aaaaaaaaaaaaaaaa", "k0"),
      {},
      { action: "recreate", reason: "the configuration changed" },
    ],
    [
      "the reference now names another image",
      running("sha256:bbbbbbbbbbbbbbbb"),
      {},
      { action: "reuse-image", reason: "redis:7 (image aaaaaaaaaaaa), running image bbbbbbbbbbbb" },
    ],
    [
      "--force-rebuild makes the container anew: there is nothing to build",
      running("sha256:aaaaaaaaaaaaaaaa"),
      { force: true },
      { action: "recreate", reason: "--force-rebuild" },
    ],
  ])("%s", (_name, observed, overrides, expected) => {
    expect(decide(observed, { ...pulled, ...overrides })).toEqual(expected);
  });

  it.each([
    ["missing", null, true],
    ["missing", "sha256:aaaa", false],
    ["always", null, true],
    ["always", "sha256:aaaa", true],
  ] as const)("pull_policy %s with local image %s: pulls = %s", (pullPolicy, localId, pulls) => {
    expect(needsPull({ reference: "redis:7", pullPolicy }, localId)).toBe(pulls);
  });
});
