import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/events.js";
import { runCli } from "./support/cli.js";
import { cleanupProject, freePort } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService, makeRepo, noHealthService, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, projectName, Workspace, writeManifest } from "./support/manifest.js";

/** The run summary reaches a webhook and a Prometheus textfile; a webhook that never answers changes nothing. */
const project = projectName("ops");
const workspace = new Workspace();
const SECRET = "s3cr3t-token-value";
let good: Repo;
let bad: Repo;
let cwd: string;
let env: Record<string, string>;
let server: Server;
let received: Array<{ path: string; body: RunSummary }>;
let webhookBase: string;

async function manifest(webhookPath: string, on: string[]) {
  const [goodPort, badPort] = [await freePort(), await freePort()];
  await writeManifest(cwd, {
    project,
    metrics_file: "metrics/deploy.prom",
    log_max_size: "1k",
    notify: { webhook: `${webhookBase}${webhookPath}`, on, timeout: "1s" },
    defaults: e2eDefaults({ health: { path: "/health", interval: "250ms", timeout: "3s" } }),
    services: {
      good: { repo: good.dir, ports: [`127.0.0.1:${goodPort}:8080`], environment: { TOKEN: SECRET } },
      bad: { repo: bad.dir, ports: [`127.0.0.1:${badPort}:8080`] },
    },
  });
}

beforeAll(async () => {
  good = await makeRepo(httpService(`${project} good`));
  bad = await makeRepo(noHealthService(`${project} bad`));
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  received = [];
  // /hook answers 204; /hang never answers (the CLI must give up on it by itself).
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      if (req.url === "/hang") return;
      received.push({ path: req.url ?? "", body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  webhookBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await cleanupProject(project);
  await workspace.cleanup();
});

describe("after a run with a failure", () => {
  it("posts the summary, failures first and without secrets, and writes the metrics file", async () => {
    await manifest("/hook", ["failure"]);
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 1);
    expect(received).toHaveLength(1);
    const summary = received[0]?.body as RunSummary;
    expect(summary.exit_code).toBe(1);
    expect(summary.services.map((service) => [service.service, service.state])).toEqual([
      ["bad", "failed"],
      ["good", "succeeded"],
    ]);
    expect(JSON.stringify(summary)).not.toContain(SECRET);

    const metrics = await readFile(join(cwd, "metrics/deploy.prom"), "utf8");
    expect(metrics).toContain(
      `deploy_last_run_success{project="${project}",service="good",host="local",state="succeeded"} 1`,
    );
    expect(metrics).toContain(
      `deploy_last_run_success{project="${project}",service="bad",host="local",state="failed"} 0`,
    );
    expect(metrics).toMatch(
      new RegExp(
        `deploy_last_success_timestamp_seconds\\{project="${project}",service="good",host="local"\\} \\d+`,
      ),
    );
    expect(metrics).not.toMatch(/deploy_last_success_timestamp_seconds\{[^}]*service="bad"/);
    expect(metrics).toContain(`deploy_run_exit_code{project="${project}"} 1`);
  });

  it("keeps its exit code when the webhook never answers, and says so on stderr", async () => {
    await manifest("/hang", ["failure", "success"]);
    const result = await runCli(["all"], { cwd, env });
    expectExit(result, 1);
    // The webhook's path may be its token (Slack-style hooks): only scheme and host are printed.
    expect(result.stderr).toMatch(new RegExp(`notifying ${webhookBase} failed: no answer within \\d+ ms`));
    expect(result.output).not.toContain("/hang");
  });

  it("sends nothing for a successful run when only failures are asked for", async () => {
    await manifest("/hook", ["failure"]);
    const before = received.length;
    const result = await runCli(["good"], { cwd, env });
    expectExit(result, 0);
    expect(received).toHaveLength(before);
    // Past log_max_size, the service log was moved aside before this run appended to a fresh one.
    expect((await readFile(join(cwd, "logs/good.log.1"), "utf8")).length).toBeGreaterThan(1024);
    expect(await readFile(join(cwd, "logs/good.log"), "utf8")).toMatch(/^==== run /);
  });
});
