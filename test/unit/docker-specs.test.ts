import { describe, expect, it } from "vitest";
import {
  buildHash,
  buildOptions,
  configHash,
  containerCreateOptions,
  GENERATED_DOCKERFILE,
  hostBuilder,
  labelledDockerfile,
} from "../../src/docker/specs.js";
import { Secret } from "../../src/secret.js";
import { serviceFixture } from "./support/service-fixture.js";

const service = serviceFixture({
  ports: [
    { hostIp: "127.0.0.1", hostPort: 3000, containerPort: 8080, protocol: "tcp" },
    { hostPort: 5353, containerPort: 53, protocol: "udp" },
  ],
  environment: { TOKEN: new Secret("s3cret"), PORT: new Secret("8080") },
  buildArgs: { NODE_ENV: new Secret("production") },
  volumes: ["api-data:/data", "/srv/app/config:/config:ro"],
  networks: ["front", "back"],
  command: ["httpd", "-f"],
  labels: { team: "core" },
  memory: 512 * 1024 * 1024,
  cpus: 0.5,
  target: "runtime",
});

const inputs = {
  project: "shop",
  service,
  host: "local",
  image: "shop/api:0123456789ab",
  commit: "0123456789abcdef0123456789abcdef01234567",
  branch: "main",
  refKind: "branch" as const,
  runId: "run-1",
  buildHash: "bh",
};

describe("containerCreateOptions", () => {
  it("describes the whole container, labelled, with secrets revealed only here", () => {
    expect(containerCreateOptions(inputs)).toEqual({
      name: "shop-api",
      Image: "shop/api:0123456789ab",
      Env: ["TOKEN=s3cret", "PORT=8080"],
      Cmd: ["httpd", "-f"],
      Labels: {
        team: "core",
        "io.deploy.project": "shop",
        "io.deploy.service": "api",
        "io.deploy.host": "local",
        "io.deploy.commit": inputs.commit,
        "io.deploy.branch": "main",
        "io.deploy.run-id": "run-1",
        "io.deploy.config-hash": configHash(service),
        "io.deploy.build-hash": "bh",
        "io.deploy.health-gate": "http",
        "io.deploy.health-url": "http://127.0.0.1:3000/health",
      },
      ExposedPorts: { "8080/tcp": {}, "53/udp": {} },
      HostConfig: {
        PortBindings: {
          "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "3000" }],
          "53/udp": [{ HostPort: "5353" }],
        },
        Binds: ["api-data:/data", "/srv/app/config:/config:ro"],
        RestartPolicy: { Name: "unless-stopped" },
        Memory: 536870912,
        NanoCpus: 500000000,
        NetworkMode: "front",
      },
      NetworkingConfig: { EndpointsConfig: { front: { Aliases: ["api"] } } },
    });
  });

  it("gives a job no restart policy", () => {
    const job = containerCreateOptions({ ...inputs, service: serviceFixture({ kind: "job" }) });
    expect(job.HostConfig?.RestartPolicy).toEqual({ Name: "no" });
  });
});

describe("configHash", () => {
  it("is stable and changes with an environment value or a port, not with the image", () => {
    const base = configHash(service);
    expect(configHash(serviceFixture({ ...service }))).toBe(base);
    expect(
      configHash({ ...service, environment: { ...service.environment, TOKEN: new Secret("other") } }),
    ).not.toBe(base);
    expect(configHash({ ...service, ports: [] })).not.toBe(base);
  });
});

describe("buildOptions", () => {
  it("tags, labels and passes build args and target", () => {
    const options = buildOptions({ ...inputs, contextTree: "tree1" }, { noCache: true, builder: "buildkit" });
    expect(options).toMatchObject({
      t: "shop/api:0123456789ab",
      dockerfile: "Dockerfile",
      target: "runtime",
      buildargs: { NODE_ENV: "production" },
      nocache: true,
      version: "2",
      labels: {
        "io.deploy.project": "shop",
        "io.deploy.service": "api",
        "io.deploy.commit": inputs.commit,
        "io.deploy.build-hash": buildHash({ service, contextTree: "tree1" }),
      },
    });
  });

  it("points the classic builder at the generated Dockerfile, without the labels option", () => {
    const noTarget = { ...service, target: undefined };
    const options = buildOptions(
      { ...inputs, service: noTarget, contextTree: "tree1" },
      { noCache: false, builder: "classic" },
    );
    expect(options).toMatchObject({ dockerfile: GENERATED_DOCKERFILE, version: "1", forcerm: true });
    expect(options.labels).toBeUndefined();
    // With a target, the last stage need not be the one built: the labels option it is.
    expect(
      buildOptions({ ...inputs, contextTree: "tree1" }, { noCache: false, builder: "classic" }),
    ).toMatchObject({ dockerfile: "Dockerfile", labels: { "io.deploy.service": "api" } });
  });

  it("picks the host's builder, else BuildKit unless DOCKER_BUILDKIT=0", () => {
    const host = { name: "local", hostKeyPolicy: "strict" } as const;
    expect(hostBuilder(host, {})).toBe("buildkit");
    expect(hostBuilder(host, { DOCKER_BUILDKIT: "0" })).toBe("classic");
    expect(hostBuilder({ ...host, builder: "classic" }, {})).toBe("classic");
    expect(hostBuilder({ ...host, builder: "buildkit" }, { DOCKER_BUILDKIT: "0" })).toBe("buildkit");
  });

  it("appends every label in one LABEL instruction, quoted", () => {
    expect(
      labelledDockerfile('FROM busybox:latest\nCMD ["sh"]\n\n', {
        "io.deploy.branch": "feat/x",
        a: 'say "hi"',
      }),
    ).toBe('FROM busybox:latest\nCMD ["sh"]\nLABEL "io.deploy.branch"="feat/x" "a"="say \\"hi\\""\n');
  });

  it("gives a different build hash for another context tree or build arg", () => {
    const base = buildHash({ service, contextTree: "tree1" });
    expect(buildHash({ service, contextTree: "tree2" })).not.toBe(base);
    expect(
      buildHash({
        service: { ...service, buildArgs: { NODE_ENV: new Secret("dev") } },
        contextTree: "tree1",
      }),
    ).not.toBe(base);
  });
});
