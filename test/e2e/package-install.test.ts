import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, REPO_ROOT } from "./support/cli.js";
import { cleanupProject, freePort, httpGet } from "./support/docker.js";
import { httpService, makeRepo, type Repo } from "./support/git-fixture.js";
import { e2eDefaults, LogsDir, projectName, Workspace, writeManifest } from "./support/manifest.js";

/**
 * The package as a user gets it: a fresh checkout's files (no dist/) packed with `npm pack` (its prepack builds
 * dist/), installed with `npm install -g` into a temporary prefix, and its `deploy` run from another folder
 * (dependencies come from the npm cache when it has them, else from the registry).
 */
const project = projectName("pkg");
const workspace = new Workspace();
const { version } = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
  version: string;
};
let repo: Repo;
let port: number;
let work: string;
let prefix: string;
let packed: string[];
let env: NodeJS.ProcessEnv;

function run(command: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) {
  return spawnSync(command, args, { cwd, encoding: "utf8", timeout: 150_000, env: { ...env, ...extraEnv } });
}

function ok(result: SpawnSyncReturns<string>): string {
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

/** The installed command, run in `cwd` by name, as a shell would find it on PATH. */
const deploy = (args: string[], cwd = work, extraEnv: NodeJS.ProcessEnv = {}) =>
  run("deploy", args, cwd, extraEnv);

beforeAll(async () => {
  const checkout = await workspace.tempDir("deploy-e2e-checkout-");
  const out = await workspace.tempDir("deploy-e2e-pack-");
  prefix = await workspace.tempDir("deploy-e2e-prefix-");
  env = { ...cleanEnv(), NO_COLOR: "1", ...(await workspace.cliEnv()) };
  env.PATH = `${join(prefix, "bin")}:${process.env.PATH}`;

  // What a clone holds: the tracked files (and new ones not ignored), without dist/; node_modules is linked,
  // as `npm ci` would have made it.
  const files = ok(run("git", ["ls-files", "-co", "--exclude-standard", "-z"], REPO_ROOT));
  const tar = spawnSync("sh", ["-c", `tar --null -T - -cf - | tar -xf - -C '${checkout}'`], {
    cwd: REPO_ROOT,
    input: files,
  });
  expect(tar.status, String(tar.stderr)).toBe(0);
  await symlink(join(REPO_ROOT, "node_modules"), join(checkout, "node_modules"));

  const pack = JSON.parse(ok(run("npm", ["pack", "--json", "--pack-destination", out], checkout)));
  packed = pack[0].files.map((file: { path: string }) => file.path);
  const tarball = join(out, pack[0].filename);
  ok(
    run(
      "npm",
      ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", tarball],
      out,
    ),
  );

  repo = await makeRepo(httpService(`${project} web v1`));
  port = await freePort();
  work = await workspace.tempDir("deploy-e2e-work-");
  await writeManifest(work, {
    version: 1,
    project,
    defaults: e2eDefaults(),
    services: { web: { repo: repo.dir, ports: [`127.0.0.1:${port}:8080`] } },
  });
});

afterAll(async () => {
  await cleanupProject(project);
  await repo?.remove();
  await workspace.cleanup();
});

describe("npm pack", () => {
  it("holds the built CLI, the schema and the README, and no sources, tests, benchmarks or examples", () => {
    for (const file of ["dist/cli.js", "schema/services.schema.json", "README.md", "package.json"])
      expect(packed).toContain(file);
    const unwanted = packed.filter((file) =>
      /^(src|test|bench|examples|scripts|logs|node_modules)\//.test(file),
    );
    expect(unwanted).toEqual([]);
  });
});

describe("deploy installed with npm install -g", () => {
  it("is on PATH and prints its version", () => {
    expect(ok(deploy(["--version"]))).toBe(`${version}\n`);
  });

  it("validates and plans the manifest of the folder it runs in", () => {
    expect(ok(deploy(["validate"]))).toContain(`valid; project ${project}, services: web`);
    expect(ok(deploy(["plan", "all", "main"]))).toMatch(/web.*build/);
  });

  it("deploys, and appends the run summary to GITHUB_STEP_SUMMARY as a Markdown table", async () => {
    const stepSummary = join(work, "step-summary.md");
    await writeFile(stepSummary, "## an earlier step\n\n");
    const output = ok(deploy(["all", "main"], work, { GITHUB_STEP_SUMMARY: stepSummary }));
    expect(output).toContain("1 service: 1 succeeded");
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toContain(`${project} web v1`);

    const { run_id: runId } = await new LogsDir(join(work, "logs")).lastRun();
    const markdown = await readFile(stepSummary, "utf8");
    expect(markdown.startsWith("## an earlier step\n\n### ✅ deploy")).toBe(true);
    const commit = (await repo.head()).slice(0, 12);
    expect(markdown).toMatch(
      new RegExp(
        `^\\| web \\| succeeded \\| +\\| .* \\| \`${commit}\` \\| [\\d.]+s \\| \`logs/web.log\` \\|$`,
        "m",
      ),
    );
    expect(markdown).toContain(`Run \`${runId}\`, exit code 0.`);
  });

  it("init writes a manifest that validates, in a new folder", async () => {
    const fresh = join(work, "new-project");
    await mkdir(fresh);
    expect(ok(deploy(["init"], fresh))).toContain("wrote");
    const text = await readFile(join(fresh, "services.yaml"), "utf8");
    const schema = /^# yaml-language-server: \$schema=(.+)$/m.exec(text)?.[1];
    expect(schema).toBe(join(prefix, "lib/node_modules/deploy-orchestrator/schema/services.schema.json"));
    expect(JSON.parse(await readFile(schema as string, "utf8")).title).toBe("services.yaml");
    expect(ok(deploy(["validate"], fresh))).toContain("valid; project new-project, services: web");
  });
});
