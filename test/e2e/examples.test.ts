import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CLI, REPO_ROOT } from "./support/cli.js";
import { cleanupProject, freePort, httpGet } from "./support/docker.js";
import { httpService, makeRepo } from "./support/git-fixture.js";
import { e2eDefaults, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * The operator examples in examples/ops/ are run as written, with only their installation paths pointed at
 * this checkout and a throwaway manifest: the crontab line through `sh -c` (as cron does), the systemd unit's
 * ExecStart from its WorkingDirectory, and the GitHub Actions step's script through bash.
 */
const OPS = join(REPO_ROOT, "examples/ops");
const project = projectName("ex");
const workspace = new Workspace();
let manifest: string;
let cwd: string;
let port: number;
let env: NodeJS.ProcessEnv;

/** Points the example's installation paths at this checkout and the test's manifest and log file. */
function localise(text: string, logFile = "/dev/null"): string {
  return text
    .replaceAll("/opt/deploy-orchestrator", REPO_ROOT.replace(/\/$/, ""))
    .replaceAll("/srv/letzgo/services.yaml", manifest)
    .replaceAll("/var/log/deploy-letzgo.log", logFile);
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(command, args, {
    encoding: "utf8",
    timeout: 120_000,
    cwd: options.cwd ?? cwd,
    env: options.env ?? env,
  });
}

beforeAll(async () => {
  const repo = await makeRepo(httpService(`${project} web`));
  port = await freePort();
  cwd = await workspace.tempDir();
  env = { ...process.env, ...(await workspace.cliEnv()), NO_COLOR: "1" };
  for (const name of Object.keys(env)) if (name.startsWith("DEPLOY_")) delete env[name];
  manifest = await writeManifest(cwd, {
    project,
    defaults: e2eDefaults(),
    services: { web: { repo: repo.dir, ports: [`127.0.0.1:${port}:8080`] } },
  });
});

afterAll(async () => {
  await cleanupProject(project);
  await workspace.cleanup();
});

describe("the crontab example", () => {
  it("deploys as written, appending plain output to its log file", async () => {
    const text = await readFile(join(OPS, "crontab"), "utf8");
    const lines = text.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
    expect(lines).toHaveLength(1);
    const fields = (lines[0] as string).split(/\s+/);
    expect(fields.slice(0, 5).join(" ")).toBe("*/5 * * * *");
    const logFile = join(cwd, "cron.log");
    const command = localise(fields.slice(5).join(" "), logFile);
    const result = run("sh", ["-c", command]);
    expect(result.status, result.stderr).toBe(0);
    const log = await readFile(logFile, "utf8");
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT\S+ web /m);
    expect(log).toContain("1 service: 1 succeeded");
    expect((await httpGet(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    // A second run appends and finds nothing to do.
    expect(run("sh", ["-c", command]).status).toBe(0);
    expect(await readFile(logFile, "utf8")).toContain("1 service: 1 unchanged");
  });
});

describe("the systemd example", () => {
  it("has a timer that starts the service, whose ExecStart deploys from its WorkingDirectory", async () => {
    const service = await readFile(join(OPS, "deploy-letzgo.service"), "utf8");
    const timer = await readFile(join(OPS, "deploy-letzgo.timer"), "utf8");
    expect(timer).toMatch(/^OnCalendar=\S+$/m);
    expect(timer).toMatch(/^Unit=deploy-letzgo\.service$/m);
    expect(service).toMatch(/^Type=oneshot$/m);
    const workingDirectory = localise(/^WorkingDirectory=(.+)$/m.exec(service)?.[1] ?? "");
    const [binary, ...args] = localise(/^ExecStart=(.+)$/m.exec(service)?.[1] ?? "").split(/\s+/);
    expect(binary).toBe("/usr/bin/node");
    const result = run(existsSync(binary as string) ? (binary as string) : process.execPath, args, {
      cwd: workingDirectory,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("1 service: 1 unchanged");
  });

  it("passes systemd-analyze verify where systemd is installed", () => {
    const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
    if (analyze.error) return; // no systemd on this machine: the run above is the check
    const result = spawnSync(
      "systemd-analyze",
      ["verify", join(OPS, "deploy-letzgo.timer"), join(OPS, "deploy-letzgo.service")],
      { encoding: "utf8" },
    );
    // verify warns about the paths of this machine (no /opt/deploy-orchestrator); syntax errors are the failure.
    expect(result.stderr).not.toMatch(/Unknown (key|section)|Failed to parse|Invalid/i);
  });
});

describe("the GitHub Actions example", () => {
  it("runs a matrix job step as written (deploy on PATH, --lock-wait) and fills the job summary", async () => {
    const workflow = parse(await readFile(join(OPS, "github-actions-deploy.yml"), "utf8"));
    expect(workflow.on.push.branches).toEqual(["main"]);
    const job = workflow.jobs.deploy;
    expect(job["runs-on"]).toContain("self-hosted");
    expect(job.strategy.matrix.service).toContain("web-frontend");
    const step = job.steps.find((candidate: { run?: string }) => candidate.run?.startsWith("deploy "));
    expect(step.run).toContain("--lock-wait");
    // `deploy` as `npm install -g` puts it on PATH: here, a shim that runs this checkout's build.
    const bin = await workspace.tempDir("deploy-e2e-bin-");
    await writeFile(join(bin, "deploy"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
      mode: 0o755,
    });
    const stepSummary = join(cwd, "step-summary.md");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub's expression, replaced as the runner would
    const script = localise(step.run).replaceAll("${{ matrix.service }}", "web");
    const result = run("bash", ["-ec", script], {
      env: {
        ...env,
        PATH: `${bin}:${env.PATH}`,
        DEPLOY_FILE: localise(step.env.DEPLOY_FILE),
        GITHUB_REF_NAME: "main",
        GITHUB_STEP_SUMMARY: stepSummary,
      },
    });
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(await readFile(join(cwd, "deploy-summary-web.json"), "utf8"));
    expect(summary.exit_code).toBe(0);
    expect(summary.services.map((service: { service: string }) => service.service)).toEqual(["web"]);
    expect(await readFile(stepSummary, "utf8")).toMatch(/^\| web \| (succeeded|unchanged) \|/m);
  });
});
