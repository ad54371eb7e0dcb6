import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { RunSummary, StatusRecord } from "../../../src/events.js";

/** A project name no other test file (or earlier run) uses: `e2e-<6 hex>`. */
export function projectName(prefix = "e2e"): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** The `defaults:` block of the e2e manifests: quick health checks, failures known within ~20 s. */
export function e2eDefaults(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    branch: "main",
    host: "local",
    restart: "unless-stopped",
    health: { path: "/health", interval: "250ms", timeout: "20s" },
    ...overrides,
  };
}

/** Temp folders made by a test file, removed together in its afterAll. */
export class Workspace {
  readonly #dirs: string[] = [];
  #cacheHome: string | undefined;

  async tempDir(prefix = "deploy-e2e-"): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  /**
   * Environment for the CLI: its repository cache (XDG_CACHE_HOME) in a temp folder of this workspace, so that
   * test runs neither share the user's cache nor leave clones behind.
   */
  async cliEnv(): Promise<Record<string, string>> {
    this.#cacheHome ??= await this.tempDir("deploy-e2e-cache-");
    return { XDG_CACHE_HOME: this.#cacheHome };
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Writes `manifest` as YAML to `<dir>/<name>` (default services.yaml); returns the file's path. */
export async function writeManifest(dir: string, manifest: object, name = "services.yaml"): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, stringify(manifest));
  return file;
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, "utf8")) as T;
}

/** The files the CLI writes under a logs folder. */
export class LogsDir {
  constructor(readonly dir: string) {}

  exists(): boolean {
    return existsSync(this.dir);
  }

  status(service: string): Promise<StatusRecord> {
    return readJson<StatusRecord>(join(this.dir, `${service}.status.json`));
  }

  statusText(service: string): Promise<string> {
    return readFile(join(this.dir, `${service}.status.json`), "utf8");
  }

  log(service: string): Promise<string> {
    return readFile(join(this.dir, `${service}.log`), "utf8");
  }

  lastRun(): Promise<RunSummary> {
    return readJson<RunSummary>(join(this.dir, "last-run.json"));
  }

  run(runId: string): Promise<RunSummary> {
    return readJson<RunSummary>(join(this.dir, "runs", `${runId}.json`));
  }

  /** Every file under the folder, recursively, with its content. */
  async allFiles(): Promise<{ path: string; content: string }[]> {
    const entries = await readdir(this.dir, { recursive: true, withFileTypes: true });
    const files = entries
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
    return Promise.all(files.map(async (path) => ({ path, content: await readFile(path, "utf8") })));
  }
}
