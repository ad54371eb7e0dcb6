import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The parts of src/ and the arrows between them, written once here and checked on the real import graph:
 * cli/main → commands → run → {plan, hosts, docker, git, health, proxy, swarm, report, lock} → manifest → leaf
 * files at src/'s root. A part may import its own files and any part below it; the middle parts may import one
 * another, except that plan/ stays pure (manifest + selection + observations in, a plan out).
 */
const MIDDLE = ["plan", "hosts", "docker", "git", "health", "proxy", "swarm", "report", "lock"];
const LAYERS: readonly string[][] = [["cli"], ["commands"], ["run"], MIDDLE, ["manifest"], ["leaf"]];
/** Parts a part may import beyond the layering's rule, or fewer: plan/ reaches nothing but the manifest. */
const ONLY: Record<string, readonly string[]> = { plan: ["plan", "manifest", "leaf"] };
/** Packages only one part may import: dockerode is private to docker/ (everything else goes through Engine). */
const PACKAGE_OWNERS: Record<string, string> = { dockerode: "docker" };

const SRC = resolve(import.meta.dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The part of src/ a file belongs to: its top folder, `cli` for the entry files, `leaf` for the other root files. */
function partOf(file: string): string {
  const path = relative(SRC, file).split(sep);
  if (path.length > 1) return path[0] as string;
  return ["cli.ts", "main.ts"].includes(path[0] as string) ? "cli" : "leaf";
}

/** Every module a file imports: static, type-only, re-exported and dynamic (`import("…")`). */
function importsOf(text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"/gms),
    ...text.matchAll(/^\s*import\s+"([^"]+)"/gm),
    ...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
  ];
  return specifiers.map((match) => match[1] as string);
}

/** Pure: whether part `from` may import part `to`. */
function allowed(from: string, to: string): boolean {
  if (from === to) return true;
  const only = ONLY[from];
  if (only) return only.includes(to);
  const layer = (part: string) => LAYERS.findIndex((parts) => parts.includes(part));
  const [a, b] = [layer(from), layer(to)];
  return a !== -1 && b !== -1 && (a < b || (a === b && LAYERS[a] === MIDDLE));
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = partOf(file);
    const name = relative(SRC, file);
    for (const specifier of importsOf(readFileSync(file, "utf8"))) {
      if (specifier.startsWith(".")) {
        const to = partOf(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
        if (!allowed(from, to)) found.push(`${name} (${from}) imports ${specifier} (${to})`);
      } else {
        const owner = PACKAGE_OWNERS[specifier.replace(/^node:/, "")];
        if (owner && owner !== from)
          found.push(`${name} (${from}) imports ${specifier}, private to ${owner}/`);
      }
    }
  }
  return found;
}

describe("the layering of src/", () => {
  it("every part of src/ is placed in the layering", () => {
    const parts = new Set(sourceFiles(SRC).map(partOf));
    expect([...parts].filter((part) => !LAYERS.some((layer) => layer.includes(part)))).toEqual([]);
  });

  it("every import follows an allowed arrow", () => {
    expect(violations()).toEqual([]);
  });

  it("the rule itself: down the layers only, the middle parts among themselves, plan/ pure", () => {
    expect(allowed("commands", "run")).toBe(true);
    expect(allowed("run", "commands")).toBe(false);
    expect(allowed("swarm", "docker")).toBe(true);
    expect(allowed("swarm", "run")).toBe(false);
    expect(allowed("plan", "manifest")).toBe(true);
    expect(allowed("plan", "docker")).toBe(false);
    expect(allowed("manifest", "plan")).toBe(false);
    expect(allowed("leaf", "manifest")).toBe(false);
    expect(allowed("leaf", "leaf")).toBe(true);
  });

  it("reads every kind of import", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type {\n  B,\n  C,\n} from "../b.js";',
      'export { d } from "./d.js";',
      'import "./side-effect.js";',
      'const e = await import("../e.js");',
    ].join("\n");
    expect(importsOf(text)).toEqual(["./a.js", "../b.js", "./d.js", "./side-effect.js", "../e.js"]);
  });
});
