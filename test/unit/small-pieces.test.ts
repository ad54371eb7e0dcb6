import { mkdir, mkdtemp, readdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSection } from "../../src/commands/logs.js";
import { parseTreeListing } from "../../src/git/bare-repo.js";
import { gitEnv } from "../../src/git/git-env.js";
import { fetchUrl } from "../../src/git/repo-url.js";
import { healthUrl } from "../../src/health/url.js";
import { localEngineOptions } from "../../src/hosts/local.js";
import { buildPlan } from "../../src/plan/plan.js";
import { startSteps } from "../../src/plan/preview.js";
import { pruneRunSummaries, rotateLogs } from "../../src/report/housekeeping.js";
import { manifestFixture, serviceFixture } from "./support/service-fixture.js";

describe("runSection", () => {
  const log = [
    "==== run r1 started 2026-11-23T09:00:00Z branch=main commit=? host=local",
    "2026-11-23T09:00:01Z [git] one",
    "==== run r2 started 2026-11-23T10:00:00Z branch=main commit=? host=local",
    "2026-11-23T10:00:01Z [git] two",
    "",
  ].join("\n");

  it("finds the last run's section, or a named one", () => {
    expect(runSection(log, "")).toBe(
      "==== run r2 started 2026-11-23T10:00:00Z branch=main commit=? host=local\n2026-11-23T10:00:01Z [git] two\n",
    );
    expect(runSection(log, "r1")).toContain("[git] one");
    expect(runSection(log, "r1")).not.toContain("two");
    expect(runSection(log, "r9")).toBeNull();
    expect(runSection("", "")).toBeNull();
  });
});

describe("startSteps", () => {
  it("numbers each target one after the latest thing it waits for", () => {
    const manifest = manifestFixture([
      serviceFixture({ name: "web", dependsOn: ["api", "cache"] }),
      serviceFixture({ name: "api", dependsOn: ["db"] }),
      serviceFixture({ name: "db" }),
      serviceFixture({ name: "cache" }),
    ]);
    const plan = buildPlan(manifest, ["web", "api", "db", "cache"], undefined, "r");
    expect(Object.fromEntries(startSteps(plan))).toEqual({ db: 1, api: 2, cache: 1, web: 3 });
  });
});

describe("gitEnv", () => {
  it("passes only what git needs, never variables that run programs; only the allowed transports", () => {
    const env = gitEnv(
      {
        PATH: "/bin",
        HOME: "/root",
        EDITOR: "vi",
        GIT_ASKPASS: "x",
        SSH_AUTH_SOCK: "/s",
        FOO: "1",
      },
      120_000,
    );
    expect(env).toEqual({
      PATH: "/bin",
      HOME: "/root",
      SSH_AUTH_SOCK: "/s",
      GIT_TERMINAL_PROMPT: "0",
      GIT_ALLOW_PROTOCOL: "ssh:https:http:git:file",
      GIT_SSH_COMMAND:
        "ssh -o BatchMode=yes -o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=3",
    });
  });
});

describe("fetchUrl", () => {
  it.each([
    ["/srv/repos/api", "file:///srv/repos/api"],
    ["git@github.com:acme/api.git", "git@github.com:acme/api.git"],
    ["https://example.test/acme/api.git", "https://example.test/acme/api.git"],
  ])("%s -> %s", (repo, url) => {
    expect(fetchUrl(repo)).toBe(url);
  });
});

describe("healthUrl", () => {
  const http = { kind: "http", expectStatus: 200, intervalMs: 1, timeoutMs: 1, startPeriodMs: 0 } as const;

  it("probes the first published port on its bound address", () => {
    expect(healthUrl(serviceFixture(), { ...http, path: "/health" })).toBe("http://127.0.0.1:3000/health");
  });

  it("uses 127.0.0.1 for a port published on every address, and the port asked for", () => {
    const service = serviceFixture({
      ports: [
        { hostPort: 8080, containerPort: 80, protocol: "tcp" },
        { hostIp: "0.0.0.0", hostPort: 9090, containerPort: 90, protocol: "tcp" },
      ],
    });
    expect(healthUrl(service, { ...http, path: "/ready", port: 9090 })).toBe("http://127.0.0.1:9090/ready");
  });

  it("takes a full url as it is", () => {
    expect(healthUrl(serviceFixture(), { ...http, url: "http://10.0.0.5:81/x" })).toBe(
      "http://10.0.0.5:81/x",
    );
  });
});

describe("localEngineOptions", () => {
  const local = { name: "local", hostKeyPolicy: "strict" } as const;
  it.each([
    [{}, {}, { socketPath: "/var/run/docker.sock" }],
    [{}, { DOCKER_HOST: "unix:///run/user/1000/docker.sock" }, { socketPath: "/run/user/1000/docker.sock" }],
    [{}, { DOCKER_HOST: "tcp://127.0.0.1:2375" }, { host: "127.0.0.1", port: 2375, protocol: "http" }],
    [{ dockerSocket: "/tmp/d.sock" }, { DOCKER_HOST: "tcp://x:1" }, { socketPath: "/tmp/d.sock" }],
  ])("host %j env %j", (host, env, expected) => {
    expect(localEngineOptions({ ...local, ...host }, env)).toEqual(expected);
  });
});

describe("housekeeping", () => {
  it("rotates only logs past the size limit", async () => {
    const dir = await mkdtemp(join(tmpdir(), "housekeeping-"));
    await writeFile(join(dir, "big.log"), "x".repeat(2000));
    await writeFile(join(dir, "small.log"), "x".repeat(10));
    expect(await rotateLogs(dir, ["big", "small", "missing"], 1000)).toEqual([join(dir, "big.log")]);
    expect((await stat(join(dir, "big.log.1"))).size).toBe(2000);
    expect((await readdir(dir)).sort()).toEqual(["big.log.1", "small.log"]);
  });

  it("keeps the newest run summaries", async () => {
    const dir = await mkdtemp(join(tmpdir(), "housekeeping-"));
    await mkdir(join(dir, "runs"));
    for (const id of ["20261123T090000Z-aaaa", "20261123T100000Z-bbbb", "20261123T110000Z-cccc"]) {
      await writeFile(join(dir, "runs", `${id}.json`), "{}");
    }
    expect(await pruneRunSummaries(dir, 2)).toBe(1);
    expect((await readdir(join(dir, "runs"))).sort()).toEqual([
      "20261123T100000Z-bbbb.json",
      "20261123T110000Z-cccc.json",
    ]);
    expect(await pruneRunSummaries(join(dir, "nothing-here"), 2)).toBe(0);
  });
});

describe("parseTreeListing", () => {
  it("maps every folder to its tree id, the root as '.'", () => {
    const listing = "040000 tree aaa111\tapps\u0000040000 tree bbb222\tapps/web dir\u0000";
    expect(parseTreeListing(listing, "root000")).toEqual(
      new Map([
        [".", "root000"],
        ["apps", "aaa111"],
        ["apps/web dir", "bbb222"],
      ]),
    );
    expect(parseTreeListing("", "r")).toEqual(new Map([[".", "r"]]));
  });
});
