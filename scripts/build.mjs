#!/usr/bin/env node
// Builds dist/ in one esbuild pass: the CLI (src/cli.ts → dist/cli.js) as ES modules, split at its dynamic
// imports so that a command loads only what it runs (--help never parses dockerode, git or the reporters), plus
// the modules scripts/gen-schema.mjs and bench/ssh.mjs import. Everything is bundled but ssh2, whose native
// parts are optional and are found in node_modules at run time (the package's one runtime dependency).
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Parts of dockerode the tool never calls, which its modules require as they load: the BuildKit session
 * (gRPC, protobufjs) and docker-modem's `ssh://` transport (ssh2; the tool reaches SSH hosts through its own
 * agent, src/hosts/ssh/). Left out, a plan of 50 services starts about 100 ms sooner; calling one throws.
 */
const unused = [
  { request: "./session", importer: "/node_modules/dockerode/lib/docker.js" },
  { request: "./ssh", importer: "/node_modules/docker-modem/lib/modem.js" },
];

const leaveOutUnused = {
  name: "leave-out-unused",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/(session|ssh)$/ }, ({ path, importer }) => {
      const match = unused.find(
        (u) => u.request === path && importer.replaceAll("\\", "/").endsWith(u.importer),
      );
      return match ? { path: `${match.importer} ${path}`, namespace: "unused" } : undefined;
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: "unused" }, ({ path }) => ({
      contents: `module.exports = () => { throw new Error(${JSON.stringify(`not part of this build: ${path}`)}); };`,
      loader: "js",
    }));
  },
};

await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: {
    cli: "src/cli.ts",
    "manifest/json-schema": "src/manifest/json-schema.ts",
    "hosts/ssh/connect": "src/hosts/ssh/connect.ts",
    labels: "src/labels.ts",
  },
  outdir: "dist",
  // In dist/ itself, one folder below the package root, as src/package-info.ts expects of every module.
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  // Less for V8 to parse at every start; error classes set `name` themselves.
  minify: true,
  external: ["ssh2", "cpu-features"],
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
  // Only free uses are replaced: a module that declares its own __dirname keeps it.
  define: { __filename: "__bundleFilename", __dirname: "__bundleDirname" },
  plugins: [leaveOutUnused],
  logLevel: "warning",
});
