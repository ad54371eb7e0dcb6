import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/labels.js";
import { type CliResult, runCli } from "./support/cli.js";
import { cleanupProject, freePort, httpGet, inspectContainer, projectContainers } from "./support/docker.js";
import { expectExit } from "./support/expect.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * One service with three secrets — an `environment` value, a `build_args` value the Dockerfile echoes during
 * the build, an `env_file` value — deployed, redeployed unchanged, then with --force-rebuild.
 * The secrets must reach the engine and never a log file, a status file or the terminal.
 */
const project = projectName();
const workspace = new Workspace();
const SERVICE = "vault";
const secret = (name: string) => `${name}-${randomBytes(8).toString("hex")}`;
const SECRETS = {
  env: secret("env-secret"),
  buildArg: secret("build-secret"),
  envFile: secret("file-secret"),
};

let repo: Repo;
let cwd: string;
let env: Record<string, string>;
let logs: LogsDir;
let port: number;
const outputs: CliResult[] = [];

async function deploy(...args: string[]): Promise<CliResult> {
  const result = await runCli([SERVICE, ...args], { cwd, env });
  outputs.push(result);
  return result;
}

const container = () => inspectContainer(`${project}-${SERVICE}`);

beforeAll(async () => {
  repo = await makeRepo(httpService(`${project} vault`, ["ARG TOKEN", 'RUN echo "token=$TOKEN"']));
  port = await freePort();
  cwd = await workspace.tempDir();
  env = await workspace.cliEnv();
  logs = new LogsDir(join(cwd, "logs"));
  await writeFile(join(cwd, "vault.env"), `# secrets of the vault\nFILE_SECRET=${SECRETS.envFile}\n`);
  await writeManifest(cwd, {
    version: 1,
    project,
    defaults: e2eDefaults(),
    services: {
      [SERVICE]: {
        repo: repo.dir,
        ports: [`127.0.0.1:${port}:8080`],
        build_args: { TOKEN: SECRETS.buildArg },
        environment: { ENV_SECRET: SECRETS.env, PLAIN: "visible" },
        env_file: "vault.env",
      },
    },
  });
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

describe("secrets", () => {
  it("reach the container", async () => {
    expectExit(await deploy(), 0);
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toContain(`${project} vault`);
    const env = (await container()).Config.Env;
    expect(env).toContain(`ENV_SECRET=${SECRETS.env}`);
    expect(env).toContain(`FILE_SECRET=${SECRETS.envFile}`);
    // The build ran the step that echoes the build argument (its output is what must be masked).
    expect(await logs.log(SERVICE)).toContain("token=");
  });
});

describe("redeploys", () => {
  let firstId = "";

  it("leave an unchanged service alone", async () => {
    firstId = (await container()).Id;
    expectExit(await deploy(), 0);
    const status = await logs.status(SERVICE);
    expect(status.state).toBe("unchanged");
    expect(status.reason).toBeTruthy();
    expect((await container()).Id).toBe(firstId);
  });

  it("replace the container with --force-rebuild", async () => {
    expectExit(await deploy("--force-rebuild"), 0);
    const status = await logs.status(SERVICE);
    expect(status.state).toBe("succeeded");
    const replaced = await container();
    expect(replaced.Id).not.toBe(firstId);
    expect(replaced.State.Running).toBe(true);
    expect(replaced.Id.startsWith(status.container_id ?? "-")).toBe(true);
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toContain(`${project} vault`);
    // The old container is gone: one container for the service (release records carry no service label).
    const containers = (await projectContainers(project)).filter((c) => c.Labels[LABEL.service]);
    expect(containers.map((c) => c.Id)).toEqual([replaced.Id]);
    expect(replaced.Config.Env).toContain(`ENV_SECRET=${SECRETS.env}`);
  });
});

describe("secret values", () => {
  it("appear in no file under logs/", async () => {
    const files = await logs.allFiles();
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining([join(logs.dir, `${SERVICE}.log`)]));
    for (const { path, content } of files) {
      for (const [name, value] of Object.entries(SECRETS)) {
        expect(content.includes(value), `${name} secret in ${path}`).toBe(false);
      }
    }
  });

  it("appear nowhere in the terminal output", () => {
    expect(outputs.length).toBeGreaterThan(0);
    for (const result of outputs) {
      for (const [name, value] of Object.entries(SECRETS)) {
        expect(result.output.includes(value), `${name} secret in the output of ${result.output}`).toBe(false);
      }
    }
  });
});
