import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/labels.js";
import { runCli } from "./support/cli.js";
import { cleanupProject, findContainer, freePort, httpGet, projectContainers } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/** `kind: job`: a migration that runs to completion before the service that depends on it starts. */
const project = projectName("job");
const workspace = new Workspace();
let jobRepo: Repo;
let webRepo: Repo;
let cwd: string;
let env: Record<string, string>;
let port: number;
let logs: LogsDir;

const job = (command: string) => ({
  Dockerfile: `FROM busybox:latest\nCMD ["sh", "-c", ${JSON.stringify(command)}]\n`,
});

beforeAll(async () => {
  jobRepo = await makeRepo(job("echo migrating; sleep 1; echo migrated"));
  webRepo = await makeRepo(httpService(`${project} web`));
  port = await freePort();
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await writeManifest(cwd, {
    project,
    defaults: e2eDefaults(),
    services: {
      migrate: { repo: jobRepo.dir, kind: "job", health: { running: "20s" } },
      web: { repo: webRepo.dir, depends_on: ["migrate"], ports: [`127.0.0.1:${port}:8080`] },
    },
  });
});

afterAll(async () => {
  await cleanupProject(project);
  await workspace.cleanup();
});

describe("a job", () => {
  it("runs to completion before its dependent starts", async () => {
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 0);
    const migrate = await logs.status("migrate");
    const web = await logs.status("web");
    expect(migrate.state).toBe("succeeded");
    expect(web.state).toBe("succeeded");
    expect(Date.parse(migrate.finished_at as string)).toBeLessThanOrEqual(
      Date.parse(web.finished_at as string),
    );
    const container = await findContainer(`${project}-migrate`);
    expect(container?.State.Running).toBe(false);
    expect(container?.State.ExitCode).toBe(0);
    expect((await httpGet(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it("is not run again when nothing changed", async () => {
    const before = await findContainer(`${project}-migrate`);
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 0);
    expect((await logs.status("migrate")).state).toBe("unchanged");
    expect((await findContainer(`${project}-migrate`))?.Id).toBe(before?.Id);
  });

  it("that fails skips its dependents and names its exit code and output", async () => {
    await jobRepo.commit(job("echo cannot migrate; exit 4"), "break the migration");
    await webRepo.commit({ "www/index.html": "<html><body>needs the new schema</body></html>\n" }, "v2");
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 1);
    const migrate = await logs.status("migrate");
    expect(migrate.state).toBe("failed");
    expect(migrate.error?.message).toContain("exited with code 4");
    expect(migrate.error?.message).toContain("cannot migrate");
    const web = await logs.status("web");
    expect(web.state).toBe("skipped");
    expect(web.reason).toBe("dependency migrate ended failed");
    // The web version that ran before is still serving.
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toContain(`${project} web`);
    // The new container made for web while it waited for the job was removed again: only the old one is left.
    const webContainers = (await projectContainers(project)).filter((c) => c.Labels[LABEL.service] === "web");
    expect(webContainers.map((c) => c.Names)).toEqual([[`/${project}-web`]]);
  });
});
