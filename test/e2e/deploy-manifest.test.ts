import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { cleanupProject, freePorts, projectContainers, projectImages } from "./support/docker.js";
import { expectExit, someLine } from "./support/expect.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, projectName, Workspace, writeManifest } from "./support/manifest.js";

/** Manifest errors: every problem at once with its line, exit 2, and nothing touched. */
const project = projectName();
const workspace = new Workspace();
const UNSET = "DEPLOY_E2E_SURELY_UNSET_VARIABLE";

let repo: Repo;
let goodDir: string;
let badDir: string;
let env: Record<string, string | undefined>;

/** Written by hand, so that the line of every problem is known (the numbers in the comments). */
function badManifest(repoDir: string, ports: number[]): string {
  return [
    "version: 1", // 1
    `project: ${project}`, // 2
    "defaults:", // 3
    "  health: { path: /health, interval: 250ms, timeout: 10s }", // 4
    "services:", // 5
    "  alpha:", // 6
    `    repo: ${repoDir}`, // 7
    `    ports: ["127.0.0.1:${ports[0]}:8080"]`, // 8
    "    colour: blue", // 9   unknown key
    "    depends_on: [beta]", // 10  alpha → beta → alpha
    "  beta:", // 11
    `    repo: ${repoDir}`, // 12
    `    ports: ["127.0.0.1:${ports[1]}:8080"]`, // 13
    "    host: nowhere", // 14  unknown host
    "    depends_on: [alpha]", // 15
    "  gamma:", // 16
    `    repo: ${repoDir}`, // 17
    `    ports: ["127.0.0.1:${ports[2]}:8080"]`, // 18
    `    environment: { TOKEN: "\${${UNSET}}" }`, // 19  unset variable
    "",
  ].join("\n");
}

beforeAll(async () => {
  repo = await makeRepo(httpService(`${project} manifest`));
  const ports = await freePorts(3);
  goodDir = await workspace.tempDir();
  badDir = await workspace.tempDir();
  // The unset variable stays unset whatever the caller's environment holds.
  env = { ...(await workspace.cliEnv()), [UNSET]: undefined };
  await writeManifest(goodDir, {
    version: 1,
    project,
    defaults: e2eDefaults(),
    services: {
      alpha: { repo: repo.dir, ports: [`127.0.0.1:${ports[0]}:8080`] },
      beta: { repo: repo.dir, ports: [`127.0.0.1:${ports[1]}:8080`], depends_on: ["alpha"] },
    },
  });
  await writeFile(join(badDir, "services.yaml"), badManifest(repo.dir, ports));
});

afterAll(async () => {
  await cleanupProject(project);
  await Promise.all([repo?.remove(), workspace.cleanup()]);
});

async function expectNothingTouched(dir: string): Promise<void> {
  expect(await projectContainers(project)).toEqual([]);
  expect(await projectImages(project)).toEqual([]);
  expect(existsSync(join(dir, "logs")), "a logs folder was written").toBe(false);
}

describe("a bad manifest", () => {
  it("is refused with exit 2, every problem listed with its line, nothing touched", async () => {
    const result = await runCli(["all"], { cwd: badDir, env });
    expectExit(result, 2);
    const { stderr } = result;
    expect(someLine(stderr, "colour", "(line 9)"), result.output).toBe(true);
    expect(someLine(stderr, "nowhere", "(line 14)"), result.output).toBe(true);
    expect(someLine(stderr, UNSET, "(line 19)"), result.output).toBe(true);
    // The cycle is reported on one of the depends_on lines, naming the services in it.
    expect(someLine(stderr, /cycle|circular/i, /\(line (10|15)\)/), result.output).toBe(true);
    expect(stderr).toMatch(/alpha[\s\S]*beta|beta[\s\S]*alpha/);
    await expectNothingTouched(badDir);
  });

  it("fails `deploy validate` with exit 2, from any folder with -f", async () => {
    const result = await runCli(["validate", "-f", join(badDir, "services.yaml")], {
      cwd: goodDir,
      env,
    });
    expectExit(result, 2);
    expect(someLine(result.stderr, "colour", "(line 9)"), result.output).toBe(true);
    expect(existsSync(join(goodDir, "logs"))).toBe(false);
  });
});

describe("a good manifest", () => {
  it("passes `deploy validate` with exit 0, touching nothing", async () => {
    const result = await runCli(["validate"], { cwd: goodDir, env });
    expectExit(result, 0);
    await expectNothingTouched(goodDir);
  });

  it("refuses an unknown service with exit 2, naming the known ones", async () => {
    const result = await runCli(["alpha,nope"], { cwd: goodDir, env });
    expectExit(result, 2);
    expect(result.stderr).toContain("nope");
    expect(result.stderr).toContain("alpha");
    expect(result.stderr).toContain("beta");
    await expectNothingTouched(goodDir);
  });
});
