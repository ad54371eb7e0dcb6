import { describe, expect, it } from "vitest";
import { LABEL } from "../../src/labels.js";
import { type Decision, decide, type Observed, type Wanted } from "../../src/plan/decide.js";

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
