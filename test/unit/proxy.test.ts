import { describe, expect, it } from "vitest";
import type { Engine, ListedContainer } from "../../src/docker/engine.js";
import { containerCreateOptions, routesOf } from "../../src/docker/specs.js";
import { directHealthUrl } from "../../src/health/url.js";
import { caddyConfig, proxyListeners, type Upstream } from "../../src/proxy/caddy-config.js";
import { applyProxyChange, listenersKey, proxyContainerOptions, upstreamOf } from "../../src/proxy/proxy.js";
import { FakeEngine } from "./support/fake-engine.js";
import { serviceFixture } from "./support/service-fixture.js";

const web = serviceFixture({ name: "web", proxy: { tls: false } });
const api: Upstream = {
  service: "api",
  alias: "api--run-2",
  routes: { ports: [], host: { name: "api.example.com", tls: "internal", port: 8080 } },
};
const site: Upstream = {
  service: "site",
  alias: "site--run-3",
  routes: { ports: [], host: { name: "www.example.com", tls: false, port: 80 } },
};
const webUpstream: Upstream = { service: "web", alias: "web--run-1", routes: routesOf(web) };

describe("routes and listeners", () => {
  it("a proxied service asks for its published TCP ports, to its container ports", () => {
    expect(routesOf(web)).toEqual({ ports: [{ hostIp: "127.0.0.1", hostPort: 3000, containerPort: 8080 }] });
  });

  it("a host name goes to proxy.port, else the first published port's container port", () => {
    expect(routesOf({ ...web, proxy: { host: "a.test", tls: true } }).host).toEqual({
      name: "a.test",
      tls: true,
      port: 8080,
    });
    expect(routesOf({ ...web, ports: [], proxy: { host: "a.test", tls: false, port: 9000 } })).toEqual({
      ports: [],
      host: { name: "a.test", tls: false, port: 9000 },
    });
  });

  it.each<[string, Upstream[], string]>([
    ["nothing", [], ""],
    ["published ports keep their address", [webUpstream], "127.0.0.1:3000"],
    ["host names need :80, and :443 for TLS", [webUpstream, api], "*:80,*:443,127.0.0.1:3000"],
    ["plain host names only :80", [site], "*:80"],
  ])("%s", (_name, upstreams, key) => {
    expect(listenersKey(proxyListeners(upstreams))).toBe(key);
  });
});

describe("caddyConfig", () => {
  it("one server per published port, straight to the container's alias; the admin API on loopback", () => {
    expect(caddyConfig([webUpstream])).toEqual({
      admin: { listen: "localhost:2019" },
      apps: {
        http: {
          grace_period: "30s",
          servers: {
            "port-3000": {
              listen: [":3000"],
              routes: [{ handle: [{ handler: "reverse_proxy", upstreams: [{ dial: "web--run-1:8080" }] }] }],
              automatic_https: { disable: true },
            },
          },
        },
      },
    });
  });

  it("host names share :80/:443; TLS from Caddy's internal CA where asked; plain ones skip HTTPS", () => {
    const config = caddyConfig([site, api]) as {
      apps: { http: { servers: Record<string, unknown> }; tls: unknown; pki: unknown };
    };
    expect(config.apps.http.servers.hosts).toEqual({
      listen: [":80", ":443"],
      routes: [
        {
          match: [{ host: ["api.example.com"] }],
          handle: [{ handler: "reverse_proxy", upstreams: [{ dial: "api--run-2:8080" }] }],
          terminal: true,
        },
        {
          match: [{ host: ["www.example.com"] }],
          handle: [{ handler: "reverse_proxy", upstreams: [{ dial: "site--run-3:80" }] }],
          terminal: true,
        },
      ],
      automatic_https: { skip: ["www.example.com"] },
    });
    expect(config.apps.tls).toEqual({
      automation: { policies: [{ subjects: ["api.example.com"], issuers: [{ module: "internal" }] }] },
    });
    expect(config.apps.pki).toEqual({ certificate_authorities: { local: { install_trust: false } } });
  });

  it("does not depend on the order upstreams were found in", () => {
    expect(caddyConfig([api, site, webUpstream])).toEqual(caddyConfig([webUpstream, site, api]));
  });
});

describe("containers behind the proxy", () => {
  const inputs = {
    project: "shop",
    service: { ...web, stopGracePeriodMs: 2500, stopSignal: "SIGQUIT", init: true },
    host: "local",
    image: "shop/web:0123456789ab",
    commit: "0123456789ab".repeat(3),
    branch: "main",
    refKind: "branch" as const,
    runId: "20261130T021500Z-4f2a",
    buildHash: "b",
  };
  const options = containerCreateOptions(inputs, "shop-web-next-1");

  it("publish no host port, join the proxy network under a per-deploy alias, and say what they ask of it", () => {
    expect(options.HostConfig?.PortBindings).toEqual({});
    expect(options.ExposedPorts).toEqual({ "8080/tcp": {} });
    expect(options.HostConfig?.NetworkMode).toBe("shop-proxy");
    expect(options.NetworkingConfig).toEqual({
      EndpointsConfig: { "shop-proxy": { Aliases: ["web--20261130t021500z-4f2a"] } },
    });
    expect(upstreamOf(options.Labels ?? {})).toEqual({
      service: "web",
      alias: "web--20261130t021500z-4f2a",
      routes: routesOf(web),
    });
  });

  it("carry their stop signal, grace period (whole seconds, rounded up) and init", () => {
    expect(options).toMatchObject({ StopSignal: "SIGQUIT", StopTimeout: 3 });
    expect(options.HostConfig?.Init).toBe(true);
  });

  it("are probed straight at their address on the proxy network, on the container port", () => {
    if (web.health.kind !== "http") throw new Error("fixture");
    expect(directHealthUrl(web, web.health, "172.21.0.5")).toBe("http://172.21.0.5:8080/health");
    expect(directHealthUrl(web, { ...web.health, url: "http://10.0.0.9:9999/x" }, "172.21.0.5")).toBe(
      "http://10.0.0.9:9999/x",
    );
  });
});

describe("the proxy container", () => {
  it("publishes each listener to the same port inside, restarts unless stopped, keeps its state in volumes", () => {
    const options = proxyContainerOptions("shop", "caddy:2", [
      { hostIp: "127.0.0.1", port: 3000 },
      { port: 80 },
    ]);
    expect(options).toMatchObject({
      name: "shop-proxy",
      Image: "caddy:2",
      Cmd: ["caddy", "run", "--config", "/etc/deploy-proxy/caddy.json"],
      Labels: { "io.deploy.project": "shop", "io.deploy.proxy.listeners": "127.0.0.1:3000,*:80" },
      HostConfig: {
        NetworkMode: "shop-proxy",
        RestartPolicy: { Name: "unless-stopped" },
        PortBindings: {
          "3000/tcp": [{ HostIp: "127.0.0.1", HostPort: "3000" }],
          "80/tcp": [{ HostPort: "80" }],
        },
      },
    });
    expect(options.HostConfig?.Mounts?.map((mount) => [mount.Source, mount.Target])).toEqual([
      ["shop-proxy-data", "/data"],
      ["shop-proxy-config", "/config"],
    ]);
  });
});

describe("proxy changes", () => {
  /** An engine whose every proxy step is written to `steps`, named by `who`; listing what is live takes a while. */
  function steppedEngine(who: string, steps: string[]): Engine {
    return Object.assign(new FakeEngine(), {
      projectContainersWith: async (): Promise<ListedContainer[]> => {
        steps.push(`${who} reads what is live`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        return [];
      },
      putFile: async () => {
        steps.push(`${who} writes the configuration`);
      },
      exec: async () => {
        steps.push(`${who} reloads`);
        return { exitCode: 0, output: "" };
      },
    });
  }

  it("go one at a time per host and project, even through two clients of that host's engine", async () => {
    const steps: string[] = [];
    const host = { name: "local", hostKeyPolicy: "strict" as const };
    const first = applyProxyChange(steppedEngine("web", steps), "shop", host, {
      service: "web",
      upstream: webUpstream,
    });
    const second = applyProxyChange(steppedEngine("api", steps), "shop", host, {
      service: "api",
      upstream: api,
    });
    await Promise.all([first, second]);
    expect(steps).toEqual([
      "web reads what is live",
      "web writes the configuration",
      "web reloads",
      "api reads what is live",
      "api writes the configuration",
      "api reloads",
    ]);
  });
});
