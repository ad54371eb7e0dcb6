import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { schemaReference, starterManifest } from "../../src/commands/init.js";
import type { Io } from "../../src/io.js";
import { main } from "../../src/main.js";
import { loadManifest } from "../../src/manifest/load.js";
import { packageFile, packageVersion } from "../../src/package-info.js";
import { removeTempDirs, tempDir } from "./manifest-helpers.js";

afterAll(removeTempDirs);

/** Runs the CLI in-process in `cwd`; resolves to its exit code and output. */
async function run(argv: string[], cwd = process.cwd()) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const io: Io = { stdout, stderr, env: {}, cwd };
  const code = await main(argv, io);
  return { code, stdout: out, stderr: err };
}

describe("deploy --version", () => {
  it("prints the package's version, whatever else is on the line before a --", async () => {
    const { version } = JSON.parse(await readFile("package.json", "utf8")) as { version: string };
    expect(packageVersion()).toBe(version);
    for (const argv of [["--version"], ["plan", "--version"], ["all", "main", "--version"]]) {
      expect(await run(argv)).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    }
    expect((await run(["--", "--version"])).code).not.toBe(0);
  });
});

describe("schemaReference", () => {
  it.each([
    [
      "/work/app",
      "/work/app/node_modules/deploy-orchestrator/schema/s.json",
      "./node_modules/deploy-orchestrator/schema/s.json",
    ],
    [
      "/work/app",
      "/usr/lib/node_modules/deploy-orchestrator/schema/s.json",
      "/usr/lib/node_modules/deploy-orchestrator/schema/s.json",
    ],
    ["/work/app", "/work/application/schema/s.json", "/work/application/schema/s.json"],
    ["/work/app/deploy", "/work/app/schema/s.json", "/work/app/schema/s.json"],
  ])("in %s, names %s as %s", (dir, schema, expected) => {
    expect(schemaReference(dir, schema)).toBe(expected);
  });
});

describe("the starter manifest", () => {
  it("is valid as written, with the schema line first and the project given", async () => {
    const dir = await tempDir();
    const file = join(dir, "services.yaml");
    await writeFile(
      file,
      starterManifest({ project: "my-app", schema: packageFile("schema/services.schema.json") }),
    );
    const result = await loadManifest(file, {});
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.manifest.project).toBe("my-app");
    expect(Object.keys(result.manifest.services)).toEqual(["web"]);
    const text = await readFile(file, "utf8");
    expect(text.split("\n")[0]).toBe(
      `# yaml-language-server: $schema=${packageFile("schema/services.schema.json")}`,
    );
  });
});

describe("deploy init", () => {
  it("writes services.yaml named after the folder, and refuses to overwrite it unless --force", async () => {
    const dir = await tempDir({}, "My App-");
    const first = await run(["init"], dir);
    expect(first.code, first.stderr).toBe(0);
    const written = await readFile(join(dir, "services.yaml"), "utf8");
    expect(written).toMatch(/^project: my-app-\w+$/m);
    expect(written.split("\n")[0]).toBe(
      `# yaml-language-server: $schema=${packageFile("schema/services.schema.json")}`,
    );

    await writeFile(join(dir, "services.yaml"), "# mine\n");
    const again = await run(["init"], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists; --force overwrites it");
    expect(await readFile(join(dir, "services.yaml"), "utf8")).toBe("# mine\n");

    expect((await run(["init", "--force"], dir)).code).toBe(0);
    expect(await readFile(join(dir, "services.yaml"), "utf8")).toBe(written);
  });

  it("writes the file of -f; a folder that does not exist is a usage error", async () => {
    const dir = await tempDir({ "deploy/": "" });
    expect((await run(["init", "-f", "deploy/prod.yaml"], dir)).code).toBe(0);
    const text = await readFile(join(dir, "deploy", "prod.yaml"), "utf8");
    expect(text).toMatch(/^project: deploy$/m);
    expect((await run(["init", "-f", "missing/prod.yaml"], dir)).stderr).toContain("does not exist");
  });
});
