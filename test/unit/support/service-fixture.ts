import type { Manifest, ServiceSpec } from "../../../src/manifest/types.js";
import { Secret } from "../../../src/secret.js";

/** A resolved service with sensible defaults; tests override what they look at. */
export function serviceFixture(overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: "api",
    kind: "service",
    repo: "/srv/repos/api",
    branch: "main",
    gitTimeoutMs: 120_000,
    context: ".",
    dockerfile: "Dockerfile",
    buildArgs: {},
    hosts: ["local"],
    ports: [{ hostIp: "127.0.0.1", hostPort: 3000, containerPort: 8080, protocol: "tcp" }],
    environment: { PORT: new Secret("8080") },
    envFiles: [],
    volumes: [],
    networks: [],
    dependsOn: [],
    dependsOnStarted: [],
    restart: "unless-stopped",
    labels: {},
    health: {
      kind: "http",
      path: "/health",
      expectStatus: 200,
      intervalMs: 1000,
      timeoutMs: 60000,
      startPeriodMs: 0,
    },
    ...overrides,
  };
}

export function manifestFixture(services: ServiceSpec[], overrides: Partial<Manifest> = {}): Manifest {
  return {
    file: "/srv/app/services.yaml",
    dir: "/srv/app",
    project: "shop",
    keepImages: 3,
    keepRuns: 50,
    logMaxSize: 10 * 1024 * 1024,
    hosts: {
      local: { name: "local", hostKeyPolicy: "strict" },
      "vps-1": {
        name: "vps-1",
        hostKeyPolicy: "strict",
        ssh: { user: "deploy", host: "10.0.0.2", port: 22 },
      },
    },
    services: Object.fromEntries(services.map((service) => [service.name, service])),
    ...overrides,
  };
}
