import { cp, mkdir } from "node:fs/promises";
import path from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { loadManifest, parseManifest } from "../../src/manifest/load.js";
import type { Manifest, ManifestResult } from "../../src/manifest/types.js";
import { revealAll, Secret } from "../../src/secret.js";
import { removeTempDirs, tempDir, yaml } from "./manifest-helpers.js";

afterAll(removeTempDirs);

const FIXTURE = path.join(import.meta.dirname, "..", "fixtures", "manifest", "full");

function manifestOf(result: ManifestResult): Manifest {
  if (!result.ok) throw new Error(`unexpected problems: ${JSON.stringify(result.problems, null, 2)}`);
  return result.manifest;
}

/** Each Secret compares equal to any other in toEqual (its value is private): the values are checked apart. */
const secrets = (values: Record<string, string>) =>
  Object.fromEntries(Object.keys(values).map((k) => [k, expect.any(Secret)]));

describe("the full fixture manifest", async () => {
  const dir = await tempDir({ "repos/shared/": "" });
  await cp(FIXTURE, dir, { recursive: true });
  const home = await tempDir();
  const env = { DB_URL: "postgres://db/auth", HOME_DIR: "/home/app", HOME: home };
  const manifest = manifestOf(await loadManifest(path.join(dir, "services.yaml"), env));
  const services = manifest.services;

  const environment = {
    auth: {
      DB_PASSWORD: 's3cret "pass"',
      JWT_SECRET: "abc#def",
      LOG_LEVEL: "debug",
      NODE_ENV: "production",
      PORT: "3000",
      DB_URL: "postgres://db/auth",
      API_KEY: "none",
      PRICE: "$5",
    },
    shared: { NODE_ENV: "production", LOG_LEVEL: "info", MODE: "shared", HOME_DIR: "/home/app" },
    plain: { NODE_ENV: "production", LOG_LEVEL: "info" },
  };
  const buildArgs = { NODE_ENV: "production", BUILD_NUMBER: "42", DEBUG: "false" };

  it("resolves to the whole Manifest: defaults merged, durations in ms, paths absolute", () => {
    const common = {
      branch: "main",
      gitTimeoutMs: 45_000,
      context: ".",
      dockerfile: "Dockerfile",
      buildArgs: {},
      volumes: [],
      networks: [],
      envFiles: [],
      dependsOnStarted: [],
    };
    expect(manifest).toEqual({
      file: path.join(dir, "services.yaml"),
      dir,
      project: "letzgo",
      keepImages: 5,
      keepRuns: 20,
      logMaxSize: 1024 * 1024,
      metricsFile: path.join(dir, "metrics/deploy.prom"),
      notify: { webhook: "https://hooks.example.test/deploy", on: ["failure", "success"], timeoutMs: 10_000 },
      hosts: {
        local: { name: "local", hostKeyPolicy: "strict" },
        "vps-1": {
          name: "vps-1",
          ssh: { user: "deploy", host: "203.0.113.10", port: 2222 },
          identityFile: path.join(home, ".ssh", "id_ed25519"),
          knownHosts: path.join(dir, "known_hosts"),
          hostKeyPolicy: "accept-new",
          dockerSocket: "/var/run/docker.sock",
          maxBuilds: 2,
        },
        "vps-2": {
          name: "vps-2",
          ssh: { user: "deploy", host: "vps-2.example.com", port: 22 },
          hostKeyPolicy: "strict",
        },
      },
      services: {
        "auth-service": {
          name: "auth-service",
          kind: "service",
          repo: "git@github.com:acme/auth-service.git",
          branch: "release",
          gitTimeoutMs: 180_000,
          context: "services/auth",
          dockerfile: "docker/Dockerfile.prod",
          target: "runtime",
          buildArgs: secrets(buildArgs),
          hosts: ["vps-1", "vps-2"],
          ports: [
            { hostIp: "127.0.0.1", hostPort: 3000, containerPort: 3000, protocol: "tcp" },
            { hostPort: 9000, containerPort: 9000, protocol: "udp" },
          ],
          environment: secrets(environment.auth),
          envFiles: [path.join(dir, "env", "auth.env")],
          volumes: ["auth-data:/data", `${path.join(dir, "config")}:/config:ro`, "/srv/shared:/shared"],
          networks: ["letzgo"],
          command: ["node", "server.js", "--port", "3000"],
          dependsOn: ["shared-service", "db-migrate"],
          dependsOnStarted: [],
          restart: "unless-stopped",
          labels: { team: "core", tier: "1" },
          memory: 512 * 1024 ** 2,
          cpus: 0.5,
          health: {
            kind: "http",
            path: "/health",
            expectStatus: "2xx",
            intervalMs: 1_000,
            timeoutMs: 90_000,
            startPeriodMs: 0,
          },
        },
        "shared-service": {
          ...common,
          name: "shared-service",
          kind: "service",
          repo: path.join(dir, "repos", "shared"),
          hosts: ["local"],
          ports: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
          environment: secrets(environment.shared),
          dependsOn: [],
          restart: "unless-stopped",
          labels: {},
          memory: 1024 ** 3,
          health: {
            kind: "http",
            url: "http://127.0.0.1:8080/ready",
            expectStatus: 200,
            intervalMs: 1_000,
            timeoutMs: 60_000,
            startPeriodMs: 500,
          },
        },
        worker: {
          ...common,
          name: "worker",
          kind: "service",
          repo: "https://github.com/acme/worker.git",
          hosts: ["vps-1"],
          ports: [],
          environment: secrets(environment.plain),
          command: ["node", "worker.js"],
          dependsOn: [],
          restart: "unless-stopped",
          labels: {},
          health: { kind: "running", durationMs: 10_000 },
        },
        "db-migrate": {
          ...common,
          name: "db-migrate",
          kind: "job",
          repo: dir,
          context: "migrations",
          hosts: ["local"],
          ports: [],
          environment: secrets(environment.plain),
          dependsOn: [],
          restart: "no",
          labels: {},
          health: { kind: "none" },
        },
        "docker-health": {
          ...common,
          name: "docker-health",
          kind: "service",
          repo: "file:///srv/git/docker-health.git",
          hosts: ["local"],
          ports: [],
          environment: secrets(environment.plain),
          dependsOn: [],
          restart: "unless-stopped",
          labels: {},
          health: { kind: "docker", intervalMs: 1_000, timeoutMs: 120_000 },
        },
      },
    });
  });

  it("keeps the services in manifest order", () => {
    expect(Object.keys(services)).toEqual([
      "auth-service",
      "shared-service",
      "worker",
      "db-migrate",
      "docker-health",
    ]);
  });

  it("wraps environment and build args in Secrets: env_file under environment, defaults under both", () => {
    expect(revealAll(services["auth-service"]?.environment ?? {})).toEqual(environment.auth);
    expect(revealAll(services["auth-service"]?.buildArgs ?? {})).toEqual(buildArgs);
    expect(revealAll(services["shared-service"]?.environment ?? {})).toEqual(environment.shared);
    expect(revealAll(services.worker?.environment ?? {})).toEqual(environment.plain);
  });

  it("never shows a secret value when serialised or inspected", () => {
    const json = JSON.stringify(manifest);
    expect(json).toContain('"DB_URL":"[REDACTED]"');
    expect(json).toContain('"BUILD_NUMBER":"[REDACTED]"');
    for (const text of [json, inspect(manifest, { depth: 10 })]) {
      expect(text).not.toContain("postgres://");
      expect(text).not.toContain("s3cret");
      expect(text).not.toContain("abc#def");
    }
  });
});

describe("defaults and normalisation", () => {
  const parse = (text: string, env: NodeJS.ProcessEnv = {}, dir = "/srv/My Project!") =>
    manifestOf(parseManifest(text, { file: path.join(dir, "services.yaml"), env, exists: () => true }));

  it("fills every default; health absent everywhere is no gate; local is implicit", () => {
    const manifest = parse(yaml`
      services:
        api: { repo: ./api }
    `);
    expect(manifest).toEqual({
      file: "/srv/My Project!/services.yaml",
      dir: "/srv/My Project!",
      project: "my-project",
      keepImages: 3,
      keepRuns: 50,
      logMaxSize: 10 * 1024 * 1024,
      hosts: { local: { name: "local", hostKeyPolicy: "strict" } },
      services: {
        api: {
          name: "api",
          kind: "service",
          repo: "/srv/My Project!/api",
          branch: "main",
          gitTimeoutMs: 120_000,
          context: ".",
          dockerfile: "Dockerfile",
          buildArgs: {},
          hosts: ["local"],
          ports: [],
          environment: {},
          envFiles: [],
          volumes: [],
          networks: [],
          dependsOn: [],
          dependsOnStarted: [],
          restart: "unless-stopped",
          labels: {},
          health: { kind: "none" },
        },
      },
    });
  });

  it("merges health key by key; a service's url replaces a default path; another kind replaces it all", () => {
    const { services } = parse(yaml`
      defaults:
        ports: ["3000:3000"]
        health: { path: /health, port: 3000, interval: 2s, timeout: 30s, expect_status: 204 }
      services:
        a: { repo: ., ports: ["3001:3000"], health: { timeout: 90 } }
        b: { repo: ., ports: ["3002:3000"], health: { url: "https://127.0.0.1:3002/up" } }
        c: { repo: ., ports: ["3003:3000"], health: { running: 1.5s } }
        d: { repo: ., ports: ["3004:3000"], health: false }
    `);
    const http = { kind: "http", expectStatus: 204, intervalMs: 2_000, startPeriodMs: 0 };
    expect(services.a?.health).toEqual({ ...http, path: "/health", port: 3000, timeoutMs: 90_000 });
    expect(services.b?.health).toEqual({ ...http, url: "https://127.0.0.1:3002/up", timeoutMs: 30_000 });
    expect(services.c?.health).toEqual({ kind: "running", durationMs: 1_500 });
    expect(services.d?.health).toEqual({ kind: "none" });
  });

  it("lets a service's host or hosts replace the defaults' one; maps merge key by key", () => {
    const { services } = parse(yaml`
      defaults:
        host: builder
        labels: { team: core }
        build_args: { A: 1 }
      hosts:
        builder: { docker_socket: /run/other.sock }
      services:
        a: { repo: ., hosts: [local, builder, local], labels: { tier: web } }
        b: { repo: ., build_args: { B: two } }
    `);
    expect(services.a?.hosts).toEqual(["local", "builder"]);
    expect(services.a?.labels).toEqual({ team: "core", tier: "web" });
    expect(services.b?.hosts).toEqual(["builder"]);
    expect(revealAll(services.b?.buildArgs ?? {})).toEqual({ A: "1", B: "two" });
  });

  it.each([
    ["500ms", 500],
    ["1s", 1_000],
    ["1.5s", 1_500],
    ["2m", 120_000],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
    ["90", 90_000],
    ["0.25", 250],
  ])("duration %s is %i ms", (written, ms) => {
    const { services } = parse(`services:\n  a: { repo: ., health: { running: ${written} } }\n`);
    expect(services.a?.health).toEqual({ kind: "running", durationMs: ms });
  });

  it.each([
    ["512m", 512 * 1024 ** 2],
    ["1g", 1024 ** 3],
    ["1G", 1024 ** 3],
    ["100k", 102_400],
    ["1024b", 1_024],
    ["256mb", 256 * 1024 ** 2],
    ["1.5g", 1.5 * 1024 ** 3],
    ["1048576", 1_048_576],
  ])("memory %s is %i bytes", (written, bytes) => {
    const { services } = parse(`services:\n  a: { repo: ., memory: ${written} }\n`);
    expect(services.a?.memory).toBe(bytes);
  });

  it.each([
    ["127.0.0.1:3000:3000", { hostIp: "127.0.0.1", hostPort: 3000, containerPort: 3000, protocol: "tcp" }],
    ["3000:3000", { hostPort: 3000, containerPort: 3000, protocol: "tcp" }],
    ["8080:80/udp", { hostPort: 8080, containerPort: 80, protocol: "udp" }],
    ["[::1]:8443:443/tcp", { hostIp: "::1", hostPort: 8443, containerPort: 443, protocol: "tcp" }],
  ])("port %s", (written, mapping) => {
    const { services } = parse(`services:\n  a: { repo: ., ports: ["${written}"] }\n`);
    expect(services.a?.ports).toEqual([mapping]);
  });

  it.each([
    ["git@github.com:acme/api.git", "git@github.com:acme/api.git"],
    ["https://github.com/acme/api.git", "https://github.com/acme/api.git"],
    ["ssh://git@host:2222/acme/api.git", "ssh://git@host:2222/acme/api.git"],
    ["file:///srv/git/api.git", "file:///srv/git/api.git"],
    ["../api", "/srv/api"],
    ["/opt/api", "/opt/api"],
  ])("repo %s resolves to %s", (written, resolved) => {
    const { services } = parse(`services:\n  a: { repo: "${written}" }\n`, {}, "/srv/app");
    expect(services.a?.repo).toBe(resolved);
  });

  it("interpolates: VAR references with and without defaults, $$, and keeps a lone $", () => {
    const { services } = parse(
      yaml`
        services:
          a:
            repo: \${REPO:-.}
            command: echo $HOME $$HOME \${GREETING}
            environment: { EMPTY: "\${EMPTY:-fallback}", KEEP: "\${EMPTY-kept}", NESTED: "\${NOPE:-\${GREETING}!}" }
      `,
      { GREETING: "hello", EMPTY: "" },
    );
    expect(services.a?.repo).toBe("/srv/My Project!");
    expect(services.a?.command).toEqual(["echo", "$HOME", "$HOME", "hello"]);
    expect(revealAll(services.a?.environment ?? {})).toEqual({
      EMPTY: "fallback",
      KEEP: "",
      NESTED: "hello!",
    });
  });

  it("supports YAML anchors and merge keys, kept under top-level x- extension fields", () => {
    const { services } = parse(yaml`
      x-base: &base
        repo: git@github.com:acme/base.git
        memory: 256m
        environment: { LEVEL: "\${LEVEL:-info}" }
      services:
        a:
          <<: *base
          ports: ["3000:3000"]
        b:
          <<: *base
          memory: 1g
    `);
    expect(services.a).toMatchObject({ repo: "git@github.com:acme/base.git", memory: 256 * 1024 ** 2 });
    expect(services.b).toMatchObject({ repo: "git@github.com:acme/base.git", memory: 1024 ** 3 });
    expect(revealAll(services.b?.environment ?? {})).toEqual({ LEVEL: "info" });
  });

  it("reads env files through the injected reader", () => {
    const files: Record<string, string> = { "/srv/app/env/a.env": "A=1\nB = 'two words'\n" };
    const result = parseManifest(
      `services:\n  a: { repo: ., env_file: env/a.env, environment: { B: 2 } }\n`,
      {
        file: "/srv/app/services.yaml",
        env: {},
        exists: () => true,
        readFile: (file) => {
          const text = files[file];
          if (text === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
          return text;
        },
      },
    );
    expect(revealAll(manifestOf(result).services.a?.environment ?? {})).toEqual({ A: "1", B: "2" });
  });

  it("takes the project from a manifest folder with an awkward name", async () => {
    const parent = await tempDir();
    const dir = path.join(parent, "__Shop.API  v2__");
    await mkdir(dir);
    const result = parseManifest("services:\n  a: { repo: . }\n", {
      file: path.join(dir, "services.yaml"),
      env: {},
    });
    expect(manifestOf(result).project).toBe("shop.api-v2");
  });
});

describe("image services and Compose's forms", () => {
  const files: Record<string, string> = {
    "/srv/app/base.env": "A=base\nB=base\n",
    "/srv/app/local.env": "B=local\nC=local\n",
  };
  const parse = (text: string) =>
    manifestOf(
      parseManifest(text, {
        file: "/srv/app/services.yaml",
        env: {},
        exists: () => true,
        readFile: (file) => {
          const content = files[file];
          if (content === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
          return content;
        },
      }),
    );

  it("an image service has its image and pull policy, no repo; the defaults' build keys do not apply", () => {
    const { services } = parse(yaml`
      defaults: { branch: release, context: app, pull_policy: always }
      services:
        db: { image: "postgres:16", pull_policy: missing }
        cache: { image: "registry.example.com:5000/acme/redis@sha256:${"a".repeat(64)}" }
        api: { repo: . }
    `);
    expect(services.db).toMatchObject({ image: { reference: "postgres:16", pullPolicy: "missing" } });
    expect(services.db).not.toHaveProperty("repo");
    expect(services.cache?.image).toEqual({
      reference: `registry.example.com:5000/acme/redis@sha256:${"a".repeat(64)}`,
      pullPolicy: "always",
    });
    expect(services.api).toMatchObject({ repo: "/srv/app", context: "app", branch: "release" });
    expect(services.api).not.toHaveProperty("image");
  });

  it.each([
    ["build: a folder", "build: services/api", { context: "services/api", dockerfile: "Dockerfile" }],
    [
      "build: a map",
      "build: { context: ./api/, dockerfile: docker/Prod.Dockerfile, target: runtime, args: { N: 1 } }",
      { context: "api", dockerfile: "docker/Prod.Dockerfile", target: "runtime", buildArgs: { N: "1" } },
    ],
    ["build.args as a list", 'build: { args: ["N=1", "EMPTY="] }', { buildArgs: { N: "1", EMPTY: "" } }],
  ])("%s is the flat build keys", (_, written, expected) => {
    const { services } = parse(`services:\n  api:\n    repo: .\n    ${written}\n`);
    const { buildArgs, ...rest } = expected as { buildArgs?: Record<string, string> };
    expect(services.api).toMatchObject(rest);
    if (buildArgs) expect(revealAll(services.api?.buildArgs ?? {})).toEqual(buildArgs);
  });

  it("Compose's build: in a service merges with the defaults' flat keys like the flat keys do", () => {
    const { services } = parse(yaml`
      defaults: { dockerfile: Base.Dockerfile, build_args: { A: 1 } }
      services:
        api: { repo: ., build: { context: api, args: { B: 2 } } }
    `);
    expect(services.api).toMatchObject({ context: "api", dockerfile: "Base.Dockerfile" });
    expect(revealAll(services.api?.buildArgs ?? {})).toEqual({ A: "1", B: "2" });
  });

  it("depends_on as Compose's map: every dependency, those with service_started apart", () => {
    const { services } = parse(yaml`
      services:
        web:
          repo: .
          depends_on:
            api: { condition: service_healthy }
            cache: { condition: service_started }
            migrate: { condition: service_completed_successfully }
        api: { repo: ., depends_on: [cache] }
        cache: { image: redis:7 }
        migrate: { repo: ., kind: job }
    `);
    expect(services.web).toMatchObject({
      dependsOn: ["api", "cache", "migrate"],
      dependsOnStarted: ["cache"],
    });
    expect(services.api).toMatchObject({ dependsOn: ["cache"], dependsOnStarted: [] });
  });

  it("env_file as a list: later files override earlier ones, environment overrides them all", () => {
    const { services } = parse(yaml`
      services:
        a:
          repo: .
          env_file: [base.env, { path: local.env }, { path: absent.env, required: false }]
          environment: { C: own }
    `);
    expect(services.a?.envFiles).toEqual(["/srv/app/base.env", "/srv/app/local.env", "/srv/app/absent.env"]);
    expect(revealAll(services.a?.environment ?? {})).toEqual({ A: "base", B: "local", C: "own" });
  });

  it("a job's gate is its exit code: health: { timeout } alone, and only the defaults' timeout", () => {
    const { services } = parse(yaml`
      defaults:
        health: { path: /health, interval: 250ms, timeout: 45s }
      services:
        migrate: { repo: ., kind: job, health: { timeout: 20s } }
        seed: { repo: ., kind: job }
        probed: { repo: ., kind: job, health: { running: 2s } }
        off: { repo: ., kind: job, health: false }
    `);
    expect(services.migrate?.health).toEqual({ kind: "none", timeoutMs: 20_000 });
    expect(services.seed?.health).toEqual({ kind: "none", timeoutMs: 45_000 });
    expect(services.probed?.health).toEqual({ kind: "running", durationMs: 2_000 });
    expect(services.off?.health).toEqual({ kind: "none" });
  });
});
