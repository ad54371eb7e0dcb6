import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadManifest } from "../../src/manifest/load.js";
import { removeTempDirs, tempDir, yaml } from "./manifest-helpers.js";

afterAll(removeTempDirs);

async function load(manifest: string, env: NodeJS.ProcessEnv = {}) {
  const dir = await tempDir({ "services.yaml": manifest });
  return loadManifest(path.join(dir, "services.yaml"), env);
}

describe("Swarm keys in the manifest (SPEC §11)", () => {
  it("reads the registry (password as a secret), swarm hosts, replicas, placement, update and long ports", async () => {
    const result = await load(
      yaml`
        registry: { url: "registry.example.com:5000/", username: "\${REG_USER}", password: "\${REG_PASS}" }
        hosts:
          cluster: { swarm: true }
        services:
          api:
            repo: git@github.com:acme/api.git
            host: cluster
            replicas: 2
            placement: ["node.role==worker"]
            ports: ["8080:8080", { target: 9090, mode: host }, { target: 53, published: 5353, protocol: udp }]
            update: { parallelism: 1, delay: 5s, order: start-first }
            health: { path: /health }
      `,
      { REG_USER: "deployer", REG_PASS: "s3cret-pass" },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const { manifest } = result;
    expect(manifest.registry?.url).toBe("registry.example.com:5000");
    expect(manifest.registry?.username).toBe("deployer");
    expect(manifest.registry?.password?.reveal()).toBe("s3cret-pass");
    expect(JSON.stringify(manifest)).not.toContain("s3cret-pass");
    expect(manifest.hosts.cluster?.swarm).toBe(true);
    expect(manifest.hosts.local?.swarm).toBeUndefined();
    const api = manifest.services.api;
    expect(api?.replicas).toBe(2);
    expect(api?.placement).toEqual(["node.role==worker"]);
    expect(api?.update).toEqual({ parallelism: 1, delayMs: 5000, order: "start-first" });
    expect(api?.ports).toEqual([
      { hostPort: 8080, containerPort: 8080, protocol: "tcp" },
      { hostPort: 0, containerPort: 9090, protocol: "tcp", mode: "host" },
      { hostPort: 5353, containerPort: 53, protocol: "udp" },
    ]);
  });

  it.each([
    {
      name: "a Swarm host without a registry",
      manifest: yaml`
        hosts: { cluster: { swarm: true } }
        services:
          api: { repo: git@github.com:acme/api.git, host: cluster, health: false }
      `,
      problems: [["services.api.host", "need a top-level `registry"]],
    },
    {
      name: "Swarm keys on a plain host",
      manifest: yaml`
        services:
          api:
            repo: git@github.com:acme/api.git
            replicas: 2
            placement: ["node.role==worker"]
            update: { order: start-first }
            ports: [{ target: 80, published: 8080, mode: host }, { target: 81 }]
            health: false
      `,
      problems: [
        ["services.api.placement", "Swarm only: host local is not a Swarm manager"],
        ["services.api.ports.0.mode", "Swarm only"],
        ["services.api.ports.1", "needs `published`"],
        ["services.api.replicas", "Swarm only"],
        ["services.api.update", "Swarm only"],
      ],
    },
    {
      name: "what a Swarm service cannot be",
      manifest: yaml`
        registry: { url: "10.0.0.1:5000" }
        hosts: { cluster: { swarm: true } }
        services:
          job: { repo: git@github.com:acme/job.git, host: cluster, kind: job, health: false }
          api:
            repo: git@github.com:acme/api.git
            host: cluster
            update: { order: start-first }
            ports: ["127.0.0.1:8080:80", { target: 81 }, { target: 82, published: 8082, mode: host }]
            health: false
      `,
      problems: [
        ["services.api.ports.0", "leave out the ip"],
        ["services.api.ports.1", "in `mode: host` only"],
        ["services.api.ports.2", "with update.order start-first, a host-mode port cannot be fixed"],
        ["services.job.kind", "a job cannot run as a Swarm service"],
      ],
    },
    {
      name: "a registry URL with a scheme",
      manifest: yaml`
        registry: { url: "https://registry.example.com" }
        services:
          api: { repo: git@github.com:acme/api.git, health: false }
      `,
      problems: [["registry.url", "without a scheme"]],
    },
  ])("$name", async ({ manifest, problems }) => {
    const result = await load(manifest);
    const found = (result.ok ? [] : result.problems.map((problem) => [problem.path, problem.message])).sort();
    expect(found).toEqual(problems.map(([at, message]) => [at, expect.stringContaining(message ?? "")]));
  });
});
