import { describe, expect, it } from "vitest";
import type { ContainerInputs } from "../../src/docker/specs.js";
import type { RunEvent } from "../../src/events.js";
import type { ServiceSpec } from "../../src/manifest/types.js";
import { replaceContainer } from "../../src/run/replace.js";
import { TargetTracker } from "../../src/run/tracker.js";
import { FakeClock } from "./support/fake-clock.js";
import { FakeEngine } from "./support/fake-engine.js";
import { serviceFixture } from "./support/service-fixture.js";

/** The health-gated replace against an engine in memory; the end-to-end tests do the same on a real engine. */
const service: ServiceSpec = serviceFixture({
  name: "api",
  ports: [],
  health: { kind: "running", durationMs: 2000 },
});
const inputs: ContainerInputs = {
  project: "shop",
  service,
  host: "local",
  image: "shop/api:new",
  commit: "2".repeat(40),
  branch: "main",
  refKind: "branch",
  runId: "r2",
  buildHash: "b2",
};

function setUp() {
  const engine = new FakeEngine();
  const clock = new FakeClock();
  const events: RunEvent[] = [];
  const tracker = new TargetTracker(
    { service: "api", host: "local", key: "api" },
    { runId: "r2", branch: "main", healthGate: "running" },
    (event) => events.push(event),
    clock,
  );
  const previous = engine.run("shop-api", "shop/api:old");
  const context = {
    engine,
    host: { name: "local", hostKeyPolicy: "strict" as const },
    inputs,
    tracker,
    clock,
    noRollback: false,
  };
  return { engine, previous, context, events };
}

describe("replaceContainer", () => {
  it("stops the old container, starts the new one under its name, and removes the old one once it passes", async () => {
    const { engine, previous, context } = setUp();
    const status = await replaceContainer(context, previous);
    expect(status).toMatchObject({ state: "succeeded", live_image: "shop/api:new", error: null });
    expect(engine.byName).toEqual({ "shop-api": { image: "shop/api:new", running: true } });
    expect(engine.calls).toEqual([
      "create shop-api-next-r2",
      "stop shop-api",
      "rename shop-api → shop-api-prev-r2",
      "rename shop-api-next-r2 → shop-api",
      "start shop-api",
      "remove shop-api-prev-r2",
    ]);
  });

  it("puts the old container back when the new one fails its gate: rolled_back, the old version serving", async () => {
    const { engine, previous, context } = setUp();
    engine.crashOnStart.add("shop/api:new");
    const status = await replaceContainer(context, previous);
    expect(status).toMatchObject({
      state: "rolled_back",
      live_image: "shop/api:old",
      container_id: previous.id,
      error: { phase: "health", message: expect.stringMatching(/^the container exited with code 1/) },
    });
    expect(engine.byName).toEqual({ "shop-api": { image: "shop/api:old", running: true } });
  });

  it("puts the old container back when the new one cannot start", async () => {
    const { engine, previous, context } = setUp();
    engine.failStart.add("shop/api:new");
    const status = await replaceContainer(context, previous);
    expect(status).toMatchObject({
      state: "rolled_back",
      error: { phase: "deploy", message: "could not start the new container: port is already allocated" },
    });
    expect(engine.byName).toEqual({ "shop-api": { image: "shop/api:old", running: true } });
    expect(engine.calls.slice(-3)).toEqual([
      "remove shop-api",
      "rename shop-api-prev-r2 → shop-api",
      "start shop-api",
    ]);
  });

  it("with --no-rollback, leaves the failed container and the stopped old one for inspection", async () => {
    const { engine, previous, context } = setUp();
    engine.crashOnStart.add("shop/api:new");
    const status = await replaceContainer({ ...context, noRollback: true }, previous);
    expect(status.state).toBe("failed");
    expect(engine.byName).toEqual({
      "shop-api": { image: "shop/api:new", running: false },
      "shop-api-prev-r2": { image: "shop/api:old", running: false },
    });
  });
});
