import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import { toolCacheDir } from "../cache-home.js";

/**
 * Start-up of a short-lived CLI is mostly V8 parsing and compiling its bundle: about 100 ms of a 50-service
 * `plan`. Node 22 keeps compiled code between runs (`module.enableCompileCache`); Node 20 does not, for ES
 * modules at all. So the CLI ships as CommonJS bundles, compiled here with `vm.Script` and V8's code cache:
 * the first run of a command saves the code V8 compiled by the time the process exits (not only the top
 * level, as caching at compile time would), and later runs of that command skip the compiling.
 *
 * The cache lives in the user's own cache folder and is only a cache: a missing, unreadable, stale or
 * corrupt file costs one compile and is written again. Its name holds the bundle's content hash (from the
 * build) and Node's version, because V8 only checks the source's length before trusting cached code, and
 * each file starts with a digest of its data, because release builds of V8 do not verify the data's own
 * checksum. NODE_DISABLE_COMPILE_CACHE (as Node 22 reads it) turns it off.
 */

/** Bundles by path relative to the launcher's folder, each with its content hash. */
export type BundleHashes = Readonly<Record<string, string>>;

/**
 * Commands whose runs compile different parts of the CLI, each keeping its own cache (the names of main.ts's
 * commands, which the launcher does not load: a command missing here only shares deploy's cache).
 */
const COMMANDS = new Set([
  "validate",
  "plan",
  "status",
  "logs",
  "rollback",
  "releases",
  "unlock",
  "init",
  "completion",
]);

/** Another build's cache files are left this long (another install of the tool may still use them). */
const STALE_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

/** Which cache a command line uses: help, a command's name, or deploy (the default command). */
export function cacheBucket(argv: readonly string[]): string {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const first = argv.find((word) => !word.startsWith("-"));
  return first !== undefined && COMMANDS.has(first) ? first : "deploy";
}

/** `code-cache` in the tool's cache folder, beside the repositories; null when disabled. */
export function cacheDirOf(env: NodeJS.ProcessEnv, home?: string): string | null {
  return env.NODE_DISABLE_COMPILE_CACHE ? null : join(toolCacheDir(env, home), "code-cache");
}

/** The cache file of one bundle for one command, under one Node version. */
export function cacheFileName(bundle: string, hash: string, bucket: string, node = process.version): string {
  const name = bundle.replaceAll("/", "_").replace(/\.cjs$/, "");
  return `${name}.${hash}.${bucket}.${node}-${process.arch}.v8`;
}

/** Whether a file of the cache folder belongs to none of the current bundles (another build of the tool). */
export function isOtherBuild(file: string, hashes: BundleHashes): boolean {
  const hash = file.split(".")[1];
  return file.endsWith(".v8") && hash !== undefined && !Object.values(hashes).includes(hash);
}

interface Loaded {
  exports: unknown;
  script: Script;
  cacheFile: string;
  /** No usable cache was found: save one when the process exits. */
  save: boolean;
}

/**
 * Loads the launcher's CommonJS bundles through the code cache. A bundle's `require` of another bundle
 * (`./vendor/…cjs`) goes through it too; everything else is Node's own `require`, from the bundle's folder.
 */
export class CodeCache {
  readonly #loaded = new Map<string, Loaded>();
  #saveRegistered = false;

  constructor(
    private readonly root: string,
    private readonly hashes: BundleHashes,
    private readonly dir: string,
    private readonly bucket: string,
  ) {}

  /** Runs the bundle at `relative` (once, like require) and returns its exports. */
  load(relative: string): unknown {
    const key = bundleKey(relative);
    const known = this.#loaded.get(key);
    if (known) return known.exports;
    const hash = this.hashes[key];
    if (hash === undefined) throw new Error(`not a bundle of this build: ${relative}`);

    const file = join(this.root, key);
    const cacheFile = join(this.dir, cacheFileName(key, hash, this.bucket));
    const cachedData = readCache(cacheFile);
    const script = new Script(wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
    const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
    const loaded: Loaded = {
      exports: module.exports,
      script,
      cacheFile,
      save: cachedData === undefined || script.cachedDataRejected === true,
    };
    this.#loaded.set(key, loaded);
    if (loaded.save) this.#saveOnExit();

    const run = script.runInThisContext() as (...args: unknown[]) => void;
    run.call(module.exports, module.exports, this.#requireFor(file), module, file, dirname(file));
    module.loaded = true;
    loaded.exports = module.exports;
    return module.exports;
  }

  #requireFor(file: string): NodeJS.Require {
    const nodeRequire = createRequire(file);
    const isBundle = (id: string) => bundleKey(id) in this.hashes;
    return Object.assign((id: string) => (isBundle(id) ? this.load(id) : nodeRequire(id)), {
      resolve: nodeRequire.resolve,
      cache: nodeRequire.cache,
      extensions: nodeRequire.extensions,
      main: nodeRequire.main,
    });
  }

  #saveOnExit(): void {
    if (this.#saveRegistered) return;
    this.#saveRegistered = true;
    process.once("exit", () => this.save());
  }

  /** Writes the cache of every bundle loaded without one: what V8 compiled so far, this run's functions too. */
  save(): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      for (const loaded of this.#loaded.values()) {
        if (!loaded.save) continue;
        // Written aside and renamed: a run starting meanwhile reads the old file or the new one, never half.
        const partial = `${loaded.cacheFile}.${process.pid}.tmp`;
        writeFileSync(partial, withDigest(loaded.script.createCachedData()), { mode: 0o600 });
        renameSync(partial, loaded.cacheFile);
        loaded.save = false;
      }
      this.#removeOtherBuilds();
    } catch {
      // Only a cache: the next run compiles again.
    }
  }

  #removeOtherBuilds(): void {
    const now = Date.now();
    for (const file of readdirSync(this.dir)) {
      const path = join(this.dir, file);
      const old = file.endsWith(".tmp") || isOtherBuild(file, this.hashes);
      if (old && now - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { force: true });
    }
  }
}

/** A bundle's key in BundleHashes: its path from the launcher's folder, as a `require` from there names it. */
function bundleKey(request: string): string {
  return request.replace(/^\.\//, "");
}

/** Node's CommonJS wrapper: the bundle runs as if `require`d. */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
}

const DIGEST_BYTES = 20;

function digest(data: Uint8Array): Buffer {
  return createHash("sha1").update(data).digest();
}

function withDigest(data: Buffer): Buffer {
  return Buffer.concat([digest(data), data]);
}

/** The cached data of a cache file, if it is there and intact. */
export function readCache(file: string): Buffer | undefined {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch {
    return undefined;
  }
  const data = content.subarray(DIGEST_BYTES);
  return content.length > DIGEST_BYTES && digest(data).equals(content.subarray(0, DIGEST_BYTES))
    ? data
    : undefined;
}
