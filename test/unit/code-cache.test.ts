import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CodeCache,
  cacheBucket,
  cacheDirOf,
  cacheFileName,
  isOtherBuild,
  readCache,
} from "../../src/launcher/code-cache.js";

const tmp = mkdtempSync(join(tmpdir(), "code-cache-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("code cache naming", () => {
  it("keeps one cache per command, help apart, deploy for the default command", () => {
    expect(cacheBucket(["all", "main"])).toBe("deploy");
    expect(cacheBucket(["plan", "all", "main", "--json"])).toBe("plan");
    expect(cacheBucket(["status"])).toBe("status");
    expect(cacheBucket(["plan", "--help"])).toBe("help");
    expect(cacheBucket(["-h"])).toBe("help");
    expect(cacheBucket(["--output", "quiet", "all"])).toBe("deploy");
  });

  it("lives beside the repository cache, and nowhere when disabled", () => {
    expect(cacheDirOf({ HOME: "/home/ops" })).toBe("/home/ops/.cache/deploy-orchestrator/code-cache");
    expect(cacheDirOf({ HOME: "/home/ops", XDG_CACHE_HOME: "/var/cache/ops" })).toBe(
      "/var/cache/ops/deploy-orchestrator/code-cache",
    );
    // A relative XDG_CACHE_HOME is invalid by the spec, and code must not come from the current folder.
    expect(cacheDirOf({ HOME: "/home/ops", XDG_CACHE_HOME: "cache" })).toBe(
      "/home/ops/.cache/deploy-orchestrator/code-cache",
    );
    expect(cacheDirOf({}, "/root")).toBe("/root/.cache/deploy-orchestrator/code-cache");
    expect(cacheDirOf({ HOME: "/home/ops", NODE_DISABLE_COMPILE_CACHE: "1" })).toBeNull();
  });

  it("names the bundle's content hash and Node's version, and tells another build's files apart", () => {
    const name = cacheFileName("vendor/undici.cjs", "0123abcd", "deploy", "v20.20.2");
    expect(name).toBe(`vendor_undici.0123abcd.deploy.v20.20.2-${process.arch}.v8`);
    const hashes = { "deploy.cjs": "0123abcd", "vendor/undici.cjs": "4567ef01" };
    expect(isOtherBuild(name, hashes)).toBe(false);
    expect(isOtherBuild(cacheFileName("deploy.cjs", "99999999", "plan"), hashes)).toBe(true);
    expect(isOtherBuild("notes.txt", hashes)).toBe(false);
  });
});

describe("code cache files", () => {
  it("runs a bundle, saves what V8 compiled, and trusts only an intact file", () => {
    const root = join(tmp, "dist");
    const dir = join(tmp, "cache");
    mkdirSync(join(root, "vendor"), { recursive: true });
    // A bundle that requires another bundle of the build (through the cache) and a Node module (through Node).
    writeFileSync(
      join(root, "bundle.cjs"),
      'const { six } = require("./vendor/six.cjs"); module.exports = { answer: () => six * 7, dir: __dirname, sep: require("node:path").sep };',
    );
    writeFileSync(join(root, "vendor", "six.cjs"), "exports.six = 6;");
    const hashes = { "bundle.cjs": "feedface", "vendor/six.cjs": "5151" };

    const first = new CodeCache(root, hashes, dir, "test");
    const exports = first.load("bundle.cjs") as { answer(): number; dir: string; sep: string };
    expect(exports.answer()).toBe(42);
    expect(exports.dir).toBe(root);
    expect(exports.sep).toBe("/");
    expect(first.load("./bundle.cjs")).toBe(exports); // once, like require
    first.save();
    const file = join(dir, cacheFileName("bundle.cjs", "feedface", "test"));
    expect(readCache(file)?.length).toBeGreaterThan(0);
    expect(readCache(join(dir, cacheFileName("vendor/six.cjs", "5151", "test")))).toBeDefined();

    // One flipped byte of the cached data: the digest no longer matches, so the file is ignored.
    const content = readFileSync(file);
    content[content.length - 1] = (content[content.length - 1] ?? 0) ^ 0xff;
    writeFileSync(file, content);
    expect(readCache(file)).toBeUndefined();
    expect(readCache(join(dir, "missing.v8"))).toBeUndefined();

    // Loaded again without a usable cache, it still runs and writes a good file again.
    const second = new CodeCache(root, hashes, dir, "test");
    expect((second.load("bundle.cjs") as { answer(): number }).answer()).toBe(42);
    second.save();
    expect(readCache(file)).toBeDefined();
  });

  it("refuses a file that is not one of the build's bundles", () => {
    expect(() => new CodeCache(tmp, {}, join(tmp, "cache"), "test").load("other.cjs")).toThrow(
      "not a bundle of this build",
    );
  });
});
