#!/usr/bin/env node
// Builds dist/ as a few bundled ES modules instead of one file per source file: start-up time is most of a
// no-op deploy, and Node spends it resolving, reading and compiling hundreds of small modules (zod alone has
// over 200). Commands stay lazily loaded: every dynamic import() becomes its own chunk.
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Third-party code the bundle leaves out, loaded from node_modules only when first used. dockerode requires
 * its BuildKit session code (gRPC) and docker-modem its `ssh://` code (ssh2) at load time, and dockerode's
 * BuildKit progress parser pulls in protobufjs: about 150 ms of start-up and 200 KB of bundle for things the
 * tool never uses (it builds with the classic builder and reaches SSH hosts through its own agent).
 * `atLoad` modules are required when their importer loads: they become a stub that requires the real module
 * on its first call. The others are already required inside a function: they only stay out of the bundle.
 */
const deferred = [
  {
    importer: "dockerode/lib/docker.js",
    request: "./session",
    real: "dockerode/lib/session.js",
    atLoad: true,
  },
  { importer: "docker-modem/lib/modem.js", request: "./ssh", real: "docker-modem/lib/ssh.js", atLoad: true },
  {
    importer: "dockerode/lib/docker.js",
    request: "./buildkit",
    real: "dockerode/lib/buildkit.js",
    atLoad: false,
  },
];

const deferRequires = {
  name: "defer-requires",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/(session|ssh|buildkit)$/ }, (args) => {
      const importer = args.importer.replaceAll("\\", "/");
      const match = deferred.find(
        (d) => d.request === args.path && importer.endsWith(`/node_modules/${d.importer}`),
      );
      if (!match) return undefined;
      return match.atLoad
        ? { path: match.real, namespace: "deferred" }
        : { path: match.real, external: true };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: "deferred" }, (args) => ({
      contents: `module.exports = function (...args) { return require(${JSON.stringify(args.path)})(...args); };`,
      loader: "js",
    }));
    // A dependency update that renames one of these files must fail the build, not silently bundle it again.
    pluginBuild.onEnd((result) => {
      const bundled = Object.keys(result.metafile?.inputs ?? {});
      const leaked = deferred.filter((d) =>
        bundled.some((input) => input.endsWith(`node_modules/${d.real}`)),
      );
      if (leaked.length > 0)
        throw new Error(`bundled though deferred: ${leaked.map((d) => d.real).join(", ")}`);
    });
  },
};

await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/cli.ts", "src/manifest/json-schema.ts"],
  outbase: "src",
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  // ssh2 ships an optional native addon (cpu-features): it stays a package, loaded only for SSH hosts.
  external: ["ssh2", "cpu-features", ...deferred.map((d) => d.real)],
  // Bundled CommonJS packages call require() and read __filename/__dirname, which ES modules lack.
  banner: {
    js: [
      'import { createRequire as __createRequire } from "node:module";',
      'import { fileURLToPath as __fileURLToPath } from "node:url";',
      'import { dirname as __pathDirname } from "node:path";',
      "const require = __createRequire(import.meta.url);",
      "const __bundleFilename = __fileURLToPath(import.meta.url);",
      "const __bundleDirname = __pathDirname(__bundleFilename);",
    ].join("\n"),
  },
  // Only free uses are replaced: an ES module of the bundle that declares its own __dirname keeps it.
  define: { __filename: "__bundleFilename", __dirname: "__bundleDirname" },
  chunkNames: "chunks/[name]-[hash]",
  plugins: [deferRequires],
  logLevel: "warning",
  metafile: true,
});
if (process.env.BUILD_METAFILE) await writeFile(process.env.BUILD_METAFILE, JSON.stringify(result.metafile));
