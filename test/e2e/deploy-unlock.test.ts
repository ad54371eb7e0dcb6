import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containerName } from "../../src/labels.js";
import { startCli, waitFor, waitForState } from "./support/background.js";
import { runCli } from "./support/cli.js";
import { cleanupProject, freePort, httpGet, inspectContainer } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { type Files, httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * `deploy unlock` while a deploy is in its health gate: without --force it leaves a running holder's lock
 * alone (exit 3, naming it) and the deploy finishes; with --force the deploy stops like an interrupt — the
 * replace rolled back, its files whole, a clear error, exit 1 — and never crashes.
 */
const project = projectName("e2e-unl");
const workspace = new Workspace();
const SERVICE = "web";
const NAME = containerName(project, SERVICE);

let repo: Repo;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
let port: number;

const marker = (version: string) => `${project} web ${version}`;

/** Answers /health only `seconds` after it starts: the deploy sits in its health gate meanwhile. */
function slowStart(version: string, seconds: number): Files {
  return {
    ...httpService(marker(version)),
    Dockerfile: [
      "FROM busybox:latest",
      "COPY www/ /www/",
      "EXPOSE 8080",
      "STOPSIGNAL SIGKILL",
      `CMD ["sh", "-c", "sleep ${seconds}; httpd -f -v -p 8080 -h /www"]`,
      "",
    ].join("\n"),
  };
}

beforeAll(async () => {
  repo = await makeRepo(httpService(marker("v1")));
  port = await freePort();
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults(),
    services: {
      [SERVICE]: {
        repo: repo.dir,
        ports: [`127.0.0.1:${port}:8080`],
        health: { path: "/health", interval: "250ms", timeout: "90s" },
      },
    },
  });
  expectExit(await runCli([SERVICE], { cwd, env }), 0);
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

describe("deploy unlock during a deploy", () => {
  it("without --force: exit 3 naming the running holder; the deploy finishes normally", async () => {
    await repo.commit(slowStart("v2", 12), "v2 starts slowly");
    const cli = startCli([SERVICE], { cwd, env });
    const checking = await waitForState(logs, SERVICE, "checking", cli);

    const unlock = await runCli(["unlock"], { cwd, env });
    expectExit(unlock, 3);
    for (const where of ["this machine", "host local"]) {
      const line = unlock.stderr.split("\n").find((l) => l.includes(`${where}: locked by`)) ?? "";
      expect(line, unlock.output).toContain(`run ${checking.run_id}`);
      expect(line, unlock.output).toContain(`@${hostname()} (pid ${cli.child.pid}) since 20`);
      expect(line, unlock.output).toMatch(/still running.*--force/);
    }
    expect(unlock.stdout, unlock.output).not.toMatch(/removed lock/);

    const result = await cli.done;
    expectExit(result, 0);
    expect(await logs.status(SERVICE)).toMatchObject({ run_id: checking.run_id, state: "succeeded" });
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toContain(marker("v2"));
    // Released at its end as usual.
    const after = await runCli(["unlock"], { cwd, env });
    expectExit(after, 0);
    expect(after.stdout, after.output).toMatch(/this machine: not locked/);
    expect(after.stdout, after.output).toMatch(/host local: not locked/);
  });

  it("with --force: the deploy stops cleanly, the replace rolled back, exit 1 with a clear error", async () => {
    const v2 = await inspectContainer(NAME);
    await repo.commit(slowStart("v3", 60), "v3 starts too slowly");
    const cli = startCli([SERVICE], { cwd, env });
    const checking = await waitForState(logs, SERVICE, "checking", cli);

    const unlock = await runCli(["unlock", "--force"], { cwd, env });
    expectExit(unlock, 0);
    expect(unlock.stdout, unlock.output).toMatch(
      new RegExp(`this machine: removed lock of run ${checking.run_id} .*--force`),
    );
    expect(unlock.stdout, unlock.output).toMatch(
      new RegExp(`host local: removed lock of run ${checking.run_id}`),
    );

    const started = Date.now();
    const result = await cli.done;
    // Noticed at the next check of the lock (every 10 s), well before v3 could answer.
    expect(Date.now() - started, result.output).toBeLessThan(40_000);
    expectExit(result, 1);
    expect(result.stderr, result.output).toContain("the project lock was taken from this run");
    expect(result.stderr, result.output).not.toMatch(/ECOMPROMISED|unexpected error|Uncaught|^\s+at /m);

    // v2 serves again from its own container, under the service's name.
    const container = await inspectContainer(NAME);
    expect(container.Id, result.output).toBe(v2.Id);
    expect(container.State.Running).toBe(true);
    // It is v2 again, which takes 12 s to answer after a start.
    const page = await waitFor(() => httpGet(`http://127.0.0.1:${port}/`).then((response) => response.body), {
      timeoutMs: 30_000,
      what: () => `v2 answering again\n${result.output}`,
    });
    expect(page).toContain(marker("v2"));

    const status = await logs.status(SERVICE);
    expect(status, result.output).toMatchObject({
      run_id: checking.run_id,
      state: "rolled_back",
      live_image: v2.Config.Image,
    });
    expect(status.error?.phase).toBe("interrupted");
    expect(status.error?.message).toContain("the project lock was taken from this run");
    const last = await logs.lastRun();
    expect(last).toMatchObject({ run_id: checking.run_id, exit_code: 1 });
    // The stopped run removed nothing of a lock that was no longer its own, and holds none.
    const after = await runCli(["unlock"], { cwd, env });
    expect(after.stdout, after.output).toMatch(/this machine: not locked/);
    expect(after.stdout, after.output).toMatch(/host local: not locked/);
  });
});
