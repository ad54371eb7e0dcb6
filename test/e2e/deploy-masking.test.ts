import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/events.js";
import { type CliResult, runCli } from "./support/cli.js";
import { cleanupProject, freePorts } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * Masking in a real deploy (issue 15 items 3, 4). `plain` builds with a multi-line build arg (a PEM-like key) and
 * a CRLF one, both echoed by the Dockerfile, and a step that prints a URL with a token; its environment has the
 * values "1" and "e", which must mangle no run id, commit, image, state or time. `loud` prints the same key and a
 * credentialed URL from its container and crashes, so they reach its error message, the run summary and the
 * webhook body. None of the credentials may show in a file, the webhook body or the terminal.
 */
const project = projectName("e2e-mask");
const workspace = new Workspace();
const hex = () => randomBytes(8).toString("hex");
const KEY_LINES = [
  "-----BEGIN TEST PRIVATE KEY-----",
  `MIIEvQ${hex()}${hex()}`,
  `BKcwgg${hex()}${hex()}`,
  "-----END TEST PRIVATE KEY-----",
];
const PEM = KEY_LINES.join("\n");
const CRLF_LINES = [`crlf-one-${hex()}`, `crlf-two-${hex()}`];
const URL_TOKEN = `ghp_${hex()}`;
const WEBHOOK_TOKEN = `hooktoken${hex()}`;
/** Every text that must appear nowhere. */
const LEAKS = [...KEY_LINES, ...CRLF_LINES, URL_TOKEN, WEBHOOK_TOKEN];

let plain: Repo;
let loud: Repo;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
let server: Server;
let result: CliResult;
const bodies: string[] = [];

beforeAll(async () => {
  plain = await makeRepo(
    httpService(`${project} plain`, [
      "ARG PEM",
      "ARG CRLF",
      'RUN echo "key: $PEM"',
      'RUN echo "crlf: $CRLF"',
      `RUN echo "cloning https://ci-bot:${URL_TOKEN}@git.example.com/x.git"`,
    ]),
  );
  loud = await makeRepo({
    ...httpService(`${project} loud`),
    Dockerfile: [
      "FROM busybox:latest",
      "STOPSIGNAL SIGKILL",
      `CMD ["sh", "-c", "echo \\"$PEM_ENV\\"; echo https://bot:$URL_TOKEN@git.example.com/r.git; exit 1"]`,
      "",
    ].join("\n"),
  });
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      bodies.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const webhook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/${WEBHOOK_TOKEN}`;
  const [plainPort, loudPort] = (await freePorts(2)) as [number, number];
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await writeManifest(cwd, {
    version: 1,
    project,
    notify: { webhook, on: ["failure"], timeout: "5s" },
    defaults: e2eDefaults({ health: { path: "/health", interval: "250ms", timeout: "10s" } }),
    services: {
      plain: {
        repo: plain.dir,
        ports: [`127.0.0.1:${plainPort}:8080`],
        build_args: { PEM, CRLF: CRLF_LINES.join("\r\n") },
        environment: { DEBUG: "1", MODE: "e" },
      },
      loud: {
        repo: loud.dir,
        ports: [`127.0.0.1:${loudPort}:8080`],
        environment: { PEM_ENV: PEM, URL_TOKEN, DEBUG: "1" },
      },
    },
  });
  result = await runCli(["all"], { cwd, env });
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await cleanupProject(project);
  await Promise.all([plain?.remove(), loud?.remove(), workspace.cleanup()]);
});

describe("a deploy with short, multi-line and URL credentials", () => {
  it("runs: plain succeeds, loud fails", async () => {
    expectExit(result, 1);
    expect((await logs.status("plain")).state, result.output).toBe("succeeded");
    expect((await logs.status("loud")).state, result.output).toBe("failed");
  });

  it("leaves every structured field whole (a value of 1 or e masks nothing)", async () => {
    const summary = await logs.lastRun();
    const status = await logs.status("plain");
    const commit = await plain.head();
    expect(summary.run_id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(status).toMatchObject({
      run_id: summary.run_id,
      state: "succeeded",
      commit,
      image: `${project}/plain:${commit.slice(0, 12)}`,
      host: "local",
      branch: "main",
    });
    for (const time of [status.started_at, status.finished_at, summary.started_at, summary.finished_at]) {
      expect(new Date(time ?? "").toISOString()).toBe(time);
    }
    expect(summary.services.find((service) => service.service === "plain")).toMatchObject({
      state: "succeeded",
      commit,
    });
    expect(await logs.statusText("plain")).not.toContain("[REDACTED]");
    expect(await logs.log("plain")).toContain(`==== run ${summary.run_id} started`);
    expect(await logs.log("plain")).toContain(`[git] commit ${commit}`);
  });

  it("masks each line of the multi-line and CRLF values in the build output, and URL user info", async () => {
    const log = await logs.log("plain");
    expect(log).toContain("key: [REDACTED]");
    expect(log).toContain("crlf: [REDACTED]");
    expect(log).toContain("cloning https://[REDACTED]@git.example.com/x.git");
  });

  it("masks the container output quoted in the failure: status file, summary and webhook body", async () => {
    const error = (await logs.status("loud")).error?.message ?? "";
    expect(error).toContain("[REDACTED]");
    expect(error).toContain("https://[REDACTED]@git.example.com/r.git");
    const summary = await logs.lastRun();
    expect(summary.services.find((service) => service.service === "loud")?.error?.message).toBe(error);
    expect(bodies).toHaveLength(1);
    const body = JSON.parse(bodies[0] ?? "{}") as RunSummary;
    expect(body.run_id).toBe(summary.run_id);
    expect(body.services.find((service) => service.service === "loud")?.error?.message).toBe(error);
  });

  it("lets no credential into any file, the webhook body or the terminal", async () => {
    const places = [
      ...(await logs.allFiles()).map(({ path, content }) => ({ where: path, content })),
      ...bodies.map((content) => ({ where: "the webhook body", content })),
      { where: "the terminal", content: result.stdout + result.stderr },
    ];
    for (const { where, content } of places) {
      for (const leak of LEAKS) expect(content.includes(leak), `${leak} in ${where}`).toBe(false);
    }
  });

  it("validate names the values too short to mask, not their values", async () => {
    const validate = await runCli(["validate"], { cwd, env });
    expectExit(validate, 0);
    expect(validate.stderr).toContain("services.plain.environment.DEBUG: a value (or line) shorter than 4");
    expect(validate.stderr).toContain("services.plain.environment.MODE");
    expect(validate.stderr).toContain("services.loud.environment.DEBUG");
  });
});
