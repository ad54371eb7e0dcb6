#!/usr/bin/env node
// Builds dist/:
// - deploy.cjs: the CLI (src/cli.ts) as one CommonJS bundle, and vendor/*.cjs: libraries only some runs need,
//   bundled apart so that the others never parse them. Start-up is most of a no-op deploy or a plan, and it is
//   mostly V8 compiling code: as CommonJS, the bundles can be run through V8's code cache (src/launcher/),
//   which Node 20 offers no ES module.
// - cli.js: the `deploy` command, the launcher that runs deploy.cjs through that cache.
// - ES modules that scripts/gen-schema.mjs and bench/ssh.mjs import (the JSON Schema, the SSH transport).
import { createHash } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Third-party modules the bundle leaves out of start-up, loaded from node_modules when first used:
 * - dockerode requires its BuildKit session code (gRPC) and docker-modem its `ssh://` code (ssh2) at load
 *   time, and dockerode's BuildKit progress parser pulls in protobufjs: about 150 ms and 200 KB of bundle for
 *   things the tool never uses (its BuildKit builds need no session, it decodes their progress itself with
 *   protobufjs/light, bundled apart, and it reaches SSH hosts through its own agent);
 * - string-width (three copies: yargs', cliui's, wrap-ansi's) builds an Intl.Segmenter and Unicode regexes
 *   when imported, about 35 ms, though it is only called to lay out help (which yargs renders after starting
 *   any subcommand, to have it ready) and the live tree, nearly always on plain ASCII.
 * Each `stub` replaces the module with a function that requires the real one on its first call (`cjs`: the
 * module is that function; `string-width`: its default export is, and answers plain ASCII itself);
 * `external` modules are already required inside a function, so they only stay out of the bundle.
 * `importer` limits a rule to one importing file.
 */
const deferred = [
  {
    request: "./session",
    importer: "dockerode/lib/docker.js",
    real: "dockerode/lib/session.js",
    stub: "cjs",
  },
  { request: "./ssh", importer: "docker-modem/lib/modem.js", real: "docker-modem/lib/ssh.js", stub: "cjs" },
  {
    request: "./buildkit",
    importer: "dockerode/lib/docker.js",
    real: "dockerode/lib/buildkit.js",
    stub: "external",
  },
  { request: "string-width", real: "string-width", stub: "string-width" },
];

const STUBS = {
  cjs: (real) => `module.exports = function (...args) { return require(${JSON.stringify(real)})(...args); };`,
  // string-width's own first test, without loading it: printable ASCII is one column per character.
  "string-width": (real) =>
    `let real;\nexport default function (text, options) {\n  if (typeof text === "string" && /^[\\x20-\\x7e]*$/.test(text)) return text.length;\n  real ??= require(${JSON.stringify(real)}).default;\n  return real(text, options);\n}`,
};

const deferRequires = {
  name: "defer-requires",
  setup(pluginBuild) {
    const requests = new Set(deferred.map((d) => d.request));
    pluginBuild.onResolve({ filter: /.*/ }, (args) => {
      // The stub's own require of the real module: left to Node at run time.
      if (args.namespace === "deferred") return { path: args.path, external: true };
      if (!requests.has(args.path)) return undefined;
      const importer = args.importer.replaceAll("\\", "/");
      const match = deferred.find(
        (d) => d.request === args.path && (!d.importer || importer.endsWith(`/node_modules/${d.importer}`)),
      );
      if (!match) return undefined;
      return match.stub === "external"
        ? { path: match.real, external: true }
        : { path: match.real, namespace: "deferred", pluginData: match };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: "deferred" }, (args) => ({
      contents: STUBS[args.pluginData.stub](args.path),
      loader: "js",
    }));
    // A dependency update that renames one of these files must fail the build, not silently bundle it again.
    pluginBuild.onEnd((result) => {
      const bundled = Object.keys(result.metafile?.inputs ?? {});
      const leaked = deferred.filter((d) =>
        bundled.some((input) => new RegExp(`node_modules/${d.real}(/index\\.js)?$`).test(input)),
      );
      if (leaked.length > 0)
        throw new Error(`bundled though deferred: ${leaked.map((d) => d.real).join(", ")}`);
      // zod's `{ z }` export is a namespace object that holds all of its ~40 locales (340 KB to compile at every
      // start); `import * as z from "zod"` lets esbuild keep only what is used, English messages included.
      const emitted = Object.values(result.metafile?.outputs ?? {}).flatMap((output) =>
        Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) =>
          bytesInOutput > 0 ? [input] : [],
        ),
      );
      const locales = emitted.filter((input) => /node_modules\/zod\/v4\/locales\/(?!index\.js)/.test(input));
      if (locales.length > 1)
        throw new Error(
          `zod's locales are bundled (${locales.length}): import zod as \`import * as z from "zod"\``,
        );
    });
  },
};

/**
 * Libraries bundled on their own (`dist/vendor/<name>.cjs`): each is needed by some runs only (undici for
 * health probes and webhooks, protobufjs for BuildKit's progress), so the CLI's bundle requires them by path
 * and the launcher loads them, through the code cache, on first use.
 */
const vendors = { undici: "undici", "protobufjs-light": "protobufjs/light.js" };

const vendorRequires = {
  name: "vendor-requires",
  setup(pluginBuild) {
    const names = new Map(Object.entries(vendors).map(([name, request]) => [request, name]));
    pluginBuild.onResolve({ filter: /.*/ }, (args) => {
      const name = names.get(args.path);
      if (name === undefined || args.kind === "entry-point") return undefined;
      return { path: `./vendor/${name}.cjs`, external: true };
    });
  },
};

const requireHere = createRequire(import.meta.url);
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: true,
  // Less for V8 to parse (a no-op deploy ~10% faster, --help ~30 ms). Names the code relies on are set
  // explicitly (error classes set `name`); `node --enable-source-maps` gives readable stack traces.
  minify: true,
  // ssh2 ships an optional native addon (cpu-features): it stays a package, loaded only for SSH hosts.
  external: ["ssh2", "cpu-features"],
  logLevel: "warning",
  metafile: true,
};

await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });

const cli = await build({
  ...common,
  entryPoints: {
    deploy: "src/cli.ts",
    ...Object.fromEntries(
      Object.entries(vendors).map(([name, request]) => [`vendor/${name}`, requireHere.resolve(request)]),
    ),
  },
  outdir: "dist",
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  // ES modules of the bundle (yargs) read import.meta.url, which CommonJS lacks: the bundle's own URL.
  define: { "import.meta.url": "__bundleUrl" },
  banner: { js: 'var __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [deferRequires, vendorRequires],
});

// The launcher keys its cache files by these hashes: V8 would accept cached code for a changed bundle of the
// same length.
const bundles = {};
for (const output of Object.keys(cli.metafile.outputs).filter((file) => file.endsWith(".cjs"))) {
  const hash = createHash("sha256").update(await readFile(new URL(`../${output}`, import.meta.url)));
  bundles[output.replace(/^dist\//, "")] = hash.digest("hex").slice(0, 16);
}
await build({
  ...common,
  entryPoints: { cli: "src/launcher/main.ts" },
  outdir: "dist",
  format: "esm",
  define: { __DEPLOY_BUNDLES__: JSON.stringify(bundles) },
});

// For scripts and the bench, which import them as ES modules; not part of the command's start-up.
const extras = await build({
  ...common,
  entryPoints: ["src/manifest/json-schema.ts", "src/hosts/ssh/connect.ts", "src/labels.ts"],
  outbase: "src",
  outdir: "dist",
  splitting: true,
  format: "esm",
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
});
if (process.env.BUILD_METAFILE) {
  const outputs = { ...cli.metafile.outputs, ...extras.metafile.outputs };
  await writeFile(process.env.BUILD_METAFILE, JSON.stringify({ inputs: cli.metafile.inputs, outputs }));
}
