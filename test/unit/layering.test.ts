import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The parts of src/, top to bottom (docs/architecture.md). A module may import modules of its own part and of
 * any part below it, never above, nor a sibling of its own layer. `cli` is src/cli.ts and src/main.ts; `leaf`
 * is every other file at src/'s root (events, clock, errors, labels, secret, release, url-redact, …), which
 * import nothing of the project but one another. plan/ sits below docker/, hosts/, run/ and beside git/ and
 * report/: it decides from what it is given and reads nothing itself.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["cli"],
  ["commands"],
  ["run"],
  ["lock"],
  ["hosts", "proxy", "swarm"],
  ["docker"],
  ["plan", "git", "report"],
  ["health"],
  ["manifest"],
  ["leaf"],
];
/** Packages only one part may import: dockerode is private to docker/ (the rest of the code uses Engine). */
const PACKAGE_OWNERS: Record<string, string> = { dockerode: "docker" };

const SRC = fileURLToPath(new URL("../../src", import.meta.url));

function partOf(file: string): string {
  const path = relative(SRC, file);
  const [first] = path.split("/");
  if (path.includes("/")) return first as string;
  return path === "cli.ts" || path === "main.ts" ? "cli" : "leaf";
}

function layerOf(part: string): number {
  const layer = LAYERS.findIndex((parts) => parts.includes(part));
  if (layer === -1) throw new Error(`src/${part}/ is in no layer of the rule: add it to LAYERS`);
  return layer;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** `import … from "x"`, `export … from "x"`, `import "x"` and `import("x")`: modules and packages. */
function importsOf(text: string): string[] {
  const statics = text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*"([^"]+)"/gms);
  const bare = text.matchAll(/^\s*import\s+"([^"]+)"/gm);
  const dynamics = text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g);
  return [...statics, ...bare, ...dynamics].map((match) => match[1] as string);
}

/** Every import that the rule refuses, as `from → to`. */
function violations(): string[] {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const from = partOf(file);
    for (const request of importsOf(readFileSync(file, "utf8"))) {
      if (!request.startsWith(".")) {
        const owner = PACKAGE_OWNERS[request];
        if (owner && owner !== from) found.push(`${relative(SRC, file)} → ${request} (private to ${owner}/)`);
        continue;
      }
      const target = resolve(dirname(file), request.replace(/\.js$/, ".ts"));
      const to = partOf(target);
      if (to !== from && layerOf(to) <= layerOf(from)) {
        found.push(`${relative(SRC, file)} → ${relative(SRC, target)} (${from} may not import ${to})`);
      }
    }
  }
  return found;
}

describe("the layering of src/", () => {
  it("has every import point down the layers, and dockerode only in docker/", () => {
    expect(violations()).toEqual([]);
  });

  it("reads static, re-exported, type-only and dynamic imports", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type { B } from "../b/b.js";',
      "import {\n  c,\n  type D,\n} from './ignored-single-quotes.js';",
      'import {\n  e,\n} from "./e.js";',
      'export { f } from "./f.js";',
      'const g = await import("../g.js");',
      'import yargs from "yargs";',
      'import "./side-effect.js";',
    ].join("\n");
    expect(importsOf(text)).toEqual([
      "./a.js",
      "../b/b.js",
      "./e.js",
      "./f.js",
      "yargs",
      "./side-effect.js",
      "../g.js",
    ]);
  });
});
