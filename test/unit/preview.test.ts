import { describe, expect, it } from "vitest";
import { LABEL } from "../../src/labels.js";
import { buildPlan } from "../../src/plan/plan.js";
import { previewPlan, type TargetObservation } from "../../src/plan/preview.js";
import { manifestFixture, serviceFixture } from "./support/service-fixture.js";

const manifest = manifestFixture([
  serviceFixture({ name: "web", dependsOn: ["api"] }),
  serviceFixture({ name: "api" }),
  serviceFixture({ name: "db" }),
]);
const options = { redeploy: false };

const wanted = (commit: string) => ({
  commit,
  buildHash: `b-${commit}`,
  configHash: "c1",
  kind: "service" as const,
});
const running = (commit: string) => ({
  running: true,
  exitCode: 0,
  image: `p/x:${commit}`,
  labels: { [LABEL.commit]: commit, [LABEL.buildHash]: `b-${commit}`, [LABEL.configHash]: "c1" },
});

/** web: a new commit; api: already runs it; db: its branch could not be fetched. */
const observations = new Map<string, TargetObservation>([
  [
    "web",
    {
      ok: true,
      source: "built",
      refKind: "branch",
      image: "p/web:2222",
      wanted: wanted("2222"),
      observed: { current: running("1111"), existingImage: null },
    },
  ],
  [
    "api",
    {
      ok: true,
      source: "built",
      refKind: "tag",
      image: "p/api:3333",
      wanted: wanted("3333"),
      observed: { current: running("3333"), existingImage: null },
    },
  ],
  ["db", { ok: false, error: new Error("git ls-remote failed") }],
]);

describe("previewPlan", () => {
  it("decides every target from its observation alone, in plan order, with its start step", () => {
    const plan = buildPlan(manifest, ["web", "api", "db"], undefined, "r", options);
    expect(
      previewPlan(plan, observations).map(({ service, action, step, commit, running_commit }) => ({
        service,
        action,
        step,
        commit,
        running_commit,
      })),
    ).toEqual([
      { service: "api", action: "unchanged", step: 1, commit: "3333", running_commit: "3333" },
      { service: "web", action: "build", step: 2, commit: "2222", running_commit: "1111" },
      { service: "db", action: "error", step: 1, commit: null, running_commit: null },
    ]);
    expect(previewPlan(plan, observations).find((row) => row.service === "db")?.reason).toBe(
      "git ls-remote failed",
    );
  });

  it("builds everything with --force-rebuild", () => {
    const plan = buildPlan(manifest, ["api"], undefined, "r", { redeploy: true });
    expect(previewPlan(plan, observations)).toMatchObject([
      { service: "api", action: "build", reason: "--force-rebuild" },
    ]);
  });

  it("pulls an image service the host lacks, and decides one it has by the image id", () => {
    const redis = serviceFixture({
      name: "cache",
      repo: undefined,
      image: { reference: "redis:7", pullPolicy: "missing" },
    });
    const plan = buildPlan(manifestFixture([redis]), ["cache"], undefined, "r", options);
    const pulled = (localImageId: string | null): Map<string, TargetObservation> =>
      new Map([
        [
          "cache",
          {
            ok: true,
            source: "pulled",
            localImageId,
            configHash: "c1",
            current: {
              running: true,
              exitCode: 0,
              image: "shop/cache:aaa",
              imageId: "sha256:aaa",
              labels: { [LABEL.configHash]: "c1" },
            },
          },
        ],
      ]);
    expect(previewPlan(plan, pulled(null))).toMatchObject([
      { action: "pull", image: "redis:7", commit: null, ref_kind: null, running_image: "shop/cache:aaa" },
    ]);
    expect(previewPlan(plan, pulled("sha256:aaa"))).toMatchObject([{ action: "unchanged" }]);
    expect(previewPlan(plan, pulled("sha256:bbb"))).toMatchObject([{ action: "reuse-image" }]);
  });
});
