import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { configHash } from "../../src/docker/specs.js";
import { readPushOutput, type SwarmService, type SwarmTask } from "../../src/docker/swarm-engine.js";
import { LABEL } from "../../src/labels.js";
import { Secret } from "../../src/secret.js";
import { gateUrls } from "../../src/swarm/gate.js";
import { convergeTimeoutMs, judgeRollback, judgeRollout } from "../../src/swarm/rollout.js";
import { mountOf, registryAuth, SWARM_LABEL, swarmImageTag, swarmServiceSpec } from "../../src/swarm/spec.js";
import { serviceFixture } from "./support/service-fixture.js";

const registry = { url: "10.0.0.1:5000", username: "ci", password: new Secret("hunter2") };
const IMAGE = "10.0.0.1:5000/shop/api:0123456789ab@sha256:aaa";

const service = serviceFixture({
  ports: [{ hostPort: 0, containerPort: 8080, protocol: "tcp", mode: "host" }],
  replicas: 2,
  placement: ["node.role==worker"],
  update: { parallelism: 1, delayMs: 5000, order: "start-first" },
  memory: 256 * 1024 * 1024,
  cpus: 0.5,
  networks: ["backend"],
  volumes: ["data:/data", "/etc/app:/config:ro"],
});

function task(overrides: Partial<SwarmTask>): SwarmTask {
  return {
    id: "t1",
    nodeId: "node-w",
    image: IMAGE,
    desiredState: "running",
    state: "running",
    ports: [],
    updatedAt: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

const swarmService = (overrides: Partial<SwarmService> = {}): SwarmService => ({
  id: "svc",
  version: 7,
  spec: {},
  labels: {},
  image: IMAGE,
  replicas: 2,
  ...overrides,
});

describe("the Swarm service spec", () => {
  const spec = swarmServiceSpec({
    project: "shop",
    service,
    host: "cluster",
    image: "10.0.0.1:5000/shop/api:0123456789ab",
    commit: "0123456789abcdef",
    refKind: "branch",
    branch: "main",
    runId: "run-1",
    buildHash: "bh",
    registry,
    digest: "sha256:aaa",
    imageId: "sha256:local",
  });

  it("pins the pushed digest and carries replicas, placement, resources, networks, mounts and host-mode ports", () => {
    expect(spec.Name).toBe("shop-api");
    expect(spec.TaskTemplate).toMatchObject({
      ContainerSpec: {
        Image: IMAGE,
        Env: ["PORT=8080"],
        Mounts: [
          { Type: "volume", Source: "data", Target: "/data", ReadOnly: false },
          { Type: "bind", Source: "/etc/app", Target: "/config", ReadOnly: true },
        ],
      },
      Resources: { Limits: { MemoryBytes: 268435456, NanoCPUs: 500000000 } },
      RestartPolicy: { Condition: "any" },
      Placement: { Constraints: ["node.role==worker"] },
      Networks: [{ Target: "backend", Aliases: ["api"] }],
      ForceUpdate: 0,
    });
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 2 } });
    expect(spec.EndpointSpec?.Ports).toEqual([{ Protocol: "tcp", TargetPort: 8080, PublishMode: "host" }]);
  });

  it("rolls out as asked and lets Swarm roll a failed update back", () => {
    expect(spec.UpdateConfig).toEqual({
      Parallelism: 1,
      Delay: 5e9,
      Order: "start-first",
      Monitor: 5e9,
      MaxFailureRatio: 0,
      FailureAction: "rollback",
    });
    expect(spec.RollbackConfig).toMatchObject({ Order: "start-first", FailureAction: "pause" });
  });

  it("labels what unchanged detection and releases need, and no secret", () => {
    expect(spec.Labels).toMatchObject({
      [LABEL.project]: "shop",
      [LABEL.service]: "api",
      [LABEL.commit]: "0123456789abcdef",
      [LABEL.buildHash]: "bh",
      [SWARM_LABEL.imageId]: "sha256:local",
      [SWARM_LABEL.imageTag]: "10.0.0.1:5000/shop/api:0123456789ab",
    });
    expect(JSON.stringify(spec)).not.toContain("hunter2");
  });

  it("names images under the registry; sends credentials only in the auth header", () => {
    expect(swarmImageTag(registry, "shop", "api", "0123456789abcdef")).toBe(
      "10.0.0.1:5000/shop/api:0123456789ab",
    );
    expect(registryAuth(registry)).toEqual({
      serveraddress: "10.0.0.1:5000",
      username: "ci",
      password: "hunter2",
    });
    expect(registryAuth({ url: "reg.example.com/team" })).toEqual({ serveraddress: "reg.example.com" });
    expect(mountOf("logs:/var/log")).toEqual({
      Type: "volume",
      Source: "logs",
      Target: "/var/log",
      ReadOnly: false,
    });
  });

  it("keeps the config hash of a container service that uses no Swarm key", () => {
    const plain = serviceFixture();
    expect(configHash({ ...plain })).toBe(configHash(serviceFixture()));
    expect(configHash({ ...plain, replicas: 2 })).not.toBe(configHash(plain));
  });
});

describe("judging a rollout", () => {
  it.each([
    {
      name: "converged: every replica runs the new image, nothing old runs",
      service: swarmService({ updateState: "completed" }),
      tasks: [
        task({ id: "a" }),
        task({ id: "b" }),
        task({ id: "old", image: "old", desiredState: "shutdown" }),
      ],
      kind: "converged",
    },
    {
      name: "waiting: an old task still runs (start-first)",
      service: swarmService({ updateState: "updating" }),
      tasks: [task({ id: "a" }), task({ id: "b", state: "starting" }), task({ id: "old", image: "old" })],
      kind: "waiting",
    },
    {
      name: "waiting: the update is not completed yet",
      service: swarmService({ updateState: "updating" }),
      tasks: [task({ id: "a" }), task({ id: "b" })],
      kind: "waiting",
    },
    {
      name: "failed: Swarm rolled back by itself",
      service: swarmService({
        updateState: "rollback_started",
        updateMessage: "update rolled back due to failure",
      }),
      tasks: [task({})],
      kind: "failed",
    },
  ])("$name", ({ service: judged, tasks, kind }) => {
    expect(judgeRollout(judged, tasks, IMAGE).kind).toBe(kind);
  });

  it("names the last failed task in its detail", () => {
    const rollout = judgeRollout(
      swarmService({ updateState: "updating" }),
      [task({ id: "a", state: "failed", desiredState: "shutdown", error: "task: non-zero exit (1)" })],
      IMAGE,
    );
    expect(rollout).toEqual({
      kind: "waiting",
      detail:
        "0/2 replicas running the new image, update updating; last task failed: task: non-zero exit (1)",
    });
  });

  it("tells a finished rollback from one that paused", () => {
    expect(judgeRollback(swarmService({ updateState: "rollback_completed" }))).toBe("done");
    expect(judgeRollback(swarmService({ updateState: "rollback_paused" }))).toBe("failed");
    expect(judgeRollback(swarmService({ updateState: "rollback_started" }))).toBe("waiting");
  });

  it("gives a rollout the gate's budget plus the update delay and monitor window per replica", () => {
    expect(convergeTimeoutMs(service)).toBe(60_000 + 2 * (5000 + 5000));
  });
});

describe("the gate's URLs", () => {
  const nodes = [
    { id: "node-w", role: "worker", address: "10.0.0.2", state: "ready" },
    { id: "node-m", role: "manager", address: "10.0.0.1", state: "ready" },
  ];
  const http = {
    kind: "http" as const,
    path: "/health",
    expectStatus: 200 as const,
    intervalMs: 1,
    timeoutMs: 1,
    startPeriodMs: 0,
  };

  it("probes each task of a host-mode port on its node, at the port it got there", () => {
    const tasks = [
      task({ id: "a", nodeId: "node-w", ports: [{ target: 8080, published: 30001, protocol: "tcp" }] }),
      task({ id: "b", nodeId: "node-m", ports: [{ target: 8080, published: 30002, protocol: "tcp" }] }),
    ];
    expect(gateUrls(service, http, tasks, nodes)).toEqual({
      urls: ["http://10.0.0.2:30001/health", "http://10.0.0.1:30002/health"],
    });
  });

  it("probes an ingress port, or a url, once from the manager", () => {
    const ingress = serviceFixture({ ports: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] });
    expect(gateUrls(ingress, http, [task({})], nodes).urls).toEqual(["http://127.0.0.1:8080/health"]);
    expect(gateUrls(ingress, { ...http, url: "https://api.example.com/up" }, [], nodes).urls).toEqual([
      "https://api.example.com/up",
    ]);
  });

  it("says which task publishes no port", () => {
    expect(gateUrls(service, http, [task({ id: "abc" })], nodes).problem).toContain(
      "task abc on node node-w publishes no port 8080",
    );
  });
});

describe("the push stream", () => {
  const stream = (...lines: object[]) => Readable.from(lines.map((line) => `${JSON.stringify(line)}\n`));

  it("gives the digest of a push that went through", async () => {
    const seen: string[] = [];
    const outcome = await readPushOutput(
      stream(
        { status: "The push refers to repository [10.0.0.1:5000/shop/api]" },
        { status: "Pushing", id: "abc", progressDetail: {} },
        { status: "Pushed", id: "abc" },
        { status: "0123: digest: sha256:bbb size: 528" },
        { progressDetail: {}, aux: { Tag: "0123", Digest: "sha256:bbb", Size: 528 } },
      ),
      (line) => seen.push(line),
    );
    expect(outcome).toEqual({ ok: true, digest: "sha256:bbb" });
    expect(seen).toEqual([
      "The push refers to repository [10.0.0.1:5000/shop/api]",
      "abc: Pushed",
      "0123: digest: sha256:bbb size: 528",
    ]);
  });

  it("fails on an error line inside the 200 answer", async () => {
    const outcome = await readPushOutput(
      stream(
        { status: "Preparing", id: "abc" },
        { errorDetail: { message: "connection refused" }, error: "connection refused" },
      ),
      () => undefined,
    );
    expect(outcome).toEqual({ ok: false, message: "connection refused" });
  });
});
