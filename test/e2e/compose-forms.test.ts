import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import {
  buildLocalImage,
  cleanupProject,
  docker,
  freePorts,
  httpGet,
  inspectContainer,
} from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { type Files, httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * A manifest written in Docker Compose's forms, deployed: `build:` as a map (context, dockerfile, target, args),
 * `depends_on` as a map of conditions, `env_file` as a list, a job gated by `health: { timeout }` alone.
 * - migrate (a job): web starts only once it exited 0 (service_completed_successfully);
 * - slow (an image service whose /health answers after 8 s): web starts once its container started, before
 *   its gate passed (service_started);
 * - web: built from `app/` with its own Dockerfile, stopping at the `runtime` stage, MARKER a build arg.
 */
const project = projectName("e2e-compose");
const slowImage = `${project}-local/slow:1`;
const workspace = new Workspace();
let repo: Repo;
let ports: { web: number; slow: number };
let cwd: string;
let logs: LogsDir;

const HTTPD = 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]';

function appFiles(): Files {
  const { Dockerfile: _, ...web } = httpService(`${project} web`);
  return {
    ...Object.fromEntries(Object.entries(web).map(([path, content]) => [`app/${path}`, content])),
    // A last stage that could not serve: only `target: runtime` makes a service of this file.
    "app/web.Dockerfile": [
      "FROM busybox:latest AS runtime",
      "ARG MARKER",
      "COPY www/ /www/",
      'RUN echo "built with $MARKER" > /www/marker',
      "STOPSIGNAL SIGKILL",
      HTTPD,
      "FROM busybox:latest AS broken",
      'CMD ["false"]',
      "",
    ].join("\n"),
    "migrate/Dockerfile": 'FROM busybox:latest\nCMD ["sh", "-c", "sleep 1; echo migrated"]\n',
  };
}

beforeAll(async () => {
  await buildLocalImage(slowImage, {
    Dockerfile: [
      "FROM busybox:latest",
      "RUN mkdir -p /www && echo slow > /www/index.html",
      "STOPSIGNAL SIGKILL",
      'CMD ["sh", "-c", "(sleep 8; echo ok > /www/health) & exec httpd -f -p 8080 -h /www"]',
      "",
    ].join("\n"),
  });
  repo = await makeRepo(appFiles());
  const [web = 0, slow = 0] = await freePorts(2);
  ports = { web, slow };
  cwd = await workspace.tempDir();
  logs = new LogsDir(join(cwd, "logs"));
  await writeFile(join(cwd, "base.env"), "LEVEL=info\nREGION=eu\n");
  await writeFile(join(cwd, "local.env"), "LEVEL=debug\n");
  await writeManifest(cwd, {
    version: 1,
    project,
    services: {
      migrate: { repo: repo.dir, build: { context: "migrate" }, kind: "job", health: { timeout: "20s" } },
      slow: {
        image: slowImage,
        ports: [`127.0.0.1:${ports.slow}:8080`],
        health: { path: "/health", interval: "250ms", timeout: "30s" },
      },
      web: {
        repo: repo.dir,
        build: { context: "app", dockerfile: "web.Dockerfile", target: "runtime", args: ["MARKER=compose"] },
        env_file: ["base.env", { path: "local.env" }, { path: "absent.env", required: false }],
        ports: [`127.0.0.1:${ports.web}:8080`],
        health: { path: "/health", interval: "250ms", timeout: "20s" },
        depends_on: {
          migrate: { condition: "service_completed_successfully" },
          slow: { condition: "service_started" },
        },
      },
    },
  });
});

afterAll(async () => {
  await cleanupProject(project);
  await docker
    .getImage(slowImage)
    .remove({ force: true })
    .catch(() => undefined);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

describe("a manifest in Docker Compose's forms", () => {
  it("validates", async () => {
    expectExit(await runCli(["validate"], { cwd, env: await workspace.cliEnv() }), 0);
  });

  it("deploys: the job first, web once slow's container started, before slow was healthy", async () => {
    const result = await runCli(["all"], { cwd, env: await workspace.cliEnv() });
    expectExit(result, 0);
    const [migrate, slow, web] = await Promise.all(
      ["migrate", "slow", "web"].map((name) => logs.status(name)),
    );
    expect([migrate?.state, slow?.state, web?.state]).toEqual(["succeeded", "succeeded", "succeeded"]);

    const webStarted = Date.parse((await inspectContainer(`${project}-web`)).State.StartedAt);
    const migrateEnded = Date.parse((await inspectContainer(`${project}-migrate`)).State.FinishedAt);
    const slowStarted = Date.parse((await inspectContainer(`${project}-slow`)).State.StartedAt);
    expect(webStarted).toBeGreaterThan(migrateEnded);
    expect(webStarted).toBeGreaterThan(slowStarted);
    expect(webStarted).toBeLessThan(Date.parse(slow?.finished_at ?? ""));
    expect(migrate?.health_gate).toBe("none");
  });

  it("built web from its context, Dockerfile, target and build args; env files merged in order", async () => {
    expect((await httpGet(`http://127.0.0.1:${ports.web}/marker`)).body).toContain("built with compose");
    const env = (await inspectContainer(`${project}-web`)).Config.Env;
    expect(env).toEqual(expect.arrayContaining(["LEVEL=debug", "REGION=eu"]));
  });

  it("a rerun changes nothing", async () => {
    const result = await runCli(["all"], { cwd, env: await workspace.cliEnv() });
    expectExit(result, 0);
    const states = await Promise.all(
      ["migrate", "slow", "web"].map(async (name) => (await logs.status(name)).state),
    );
    expect(states).toEqual(["unchanged", "unchanged", "unchanged"]);
  });
});
