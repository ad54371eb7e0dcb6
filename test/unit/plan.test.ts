import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { buildPlan, newRunId } from "../../src/plan/plan.js";
import { selectServices } from "../../src/plan/select.js";
import { manifestFixture, serviceFixture } from "./support/service-fixture.js";

const options = { redeploy: false };

const manifest = manifestFixture([
  serviceFixture({ name: "web", dependsOn: ["api"] }),
  serviceFixture({ name: "api", dependsOn: ["db"] }),
  serviceFixture({ name: "db" }),
  serviceFixture({ name: "worker", hosts: ["local", "vps-1"], branch: "stable" }),
]);

describe("selectServices", () => {
  it("expands all to every service in manifest order", () => {
    expect(selectServices(manifest, "all")).toEqual(["web", "api", "db", "worker"]);
  });

  it("keeps manifest order for a comma list and ignores blanks", () => {
    expect(selectServices(manifest, "db, web,")).toEqual(["web", "db"]);
  });

  it.each([
    ["nope", /unknown service nope; known services: web, api, db, worker/],
    ["web,nope,zap", /unknown services nope, zap/],
    [",", /no service named/],
  ])("refuses %s as a usage error", (selection, message) => {
    expect(() => selectServices(manifest, selection)).toThrow(UsageError);
    expect(() => selectServices(manifest, selection)).toThrow(message);
  });
});

describe("buildPlan", () => {
  it("orders dependencies first and expands services on several hosts into one target per host", () => {
    const plan = buildPlan(manifest, ["web", "api", "db", "worker"], undefined, "run-1", options);
    expect(plan.targets.map((target) => [target.ref.key, target.branch, target.waitsFor])).toEqual([
      ["db", "main", []],
      ["api", "main", ["db"]],
      ["web", "main", ["api"]],
      ["worker@local", "stable", []],
      ["worker@vps-1", "stable", []],
    ]);
    expect(plan.targets[4]?.ref).toEqual({ service: "worker", host: "vps-1", key: "worker@vps-1" });
    expect(plan).toMatchObject({ runId: "run-1", project: "shop", keepImages: 3, intent: options });
  });

  it("applies the branch argument to every selected service", () => {
    const plan = buildPlan(manifest, ["worker", "db"], "feature", "run-2", options);
    expect(plan.targets.map((target) => target.branch)).toEqual(["feature", "feature", "feature"]);
  });

  it("does not wait for a dependency that is not selected", () => {
    const plan = buildPlan(manifest, ["api"], undefined, "run-3", options);
    expect(plan.targets.map((target) => [target.ref.key, target.waitsFor])).toEqual([["api", []]]);
  });
});

describe("buildPlan with image services and Compose's depends_on conditions", () => {
  const composed = manifestFixture([
    serviceFixture({
      name: "cache",
      repo: undefined,
      image: { reference: "redis:7", pullPolicy: "missing" },
    }),
    serviceFixture({ name: "db" }),
    serviceFixture({ name: "web", dependsOn: ["cache", "db"], dependsOnStarted: ["cache"] }),
  ]);

  it("an image service's branch is its image reference, whatever ref is asked for", () => {
    const plan = buildPlan(composed, ["cache", "web"], "feature", "run-4", options);
    expect(plan.targets.map((target) => [target.ref.key, target.branch])).toEqual([
      ["cache", "redis:7"],
      ["web", "feature"],
    ]);
  });

  it("a service_started dependency is waited for only until its container starts", () => {
    const plan = buildPlan(composed, ["cache", "db", "web"], undefined, "run-5", options);
    expect(plan.targets.map((target) => [target.ref.key, target.waitsFor, target.startOnly])).toEqual([
      ["cache", [], []],
      ["db", [], []],
      ["web", ["cache", "db"], ["cache"]],
    ]);
  });
});

describe("newRunId", () => {
  it("is the UTC start time plus a random suffix", () => {
    expect(newRunId(new Date("2026-11-23T09:15:00.123Z"), () => 0.5)).toBe("20261123T091500Z-8000");
  });
});
