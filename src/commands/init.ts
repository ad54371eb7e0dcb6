import { writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { Argv, CommandModule } from "yargs";
import { EXIT, UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { projectFromDir } from "../manifest/names.js";
import { packageFile } from "../package-info.js";
import type { GlobalArgs } from "./manifest-option.js";

export interface InitArgs extends GlobalArgs {
  force: boolean;
}

/** `deploy init`: writes a commented starter manifest for a new project, as `kamal init` and `docker init` do. */
export function initCommand(io: Io, setExit: (code: number) => void): CommandModule<GlobalArgs, InitArgs> {
  return {
    command: "init",
    describe: "Write a commented services.yaml for a new project in this folder (or the file of -f)",
    builder: (yargs: Argv<GlobalArgs>) =>
      yargs
        .option("force", { type: "boolean", default: false, describe: "overwrite an existing file" })
        .example("$0 init", "write ./services.yaml, then edit it and run deploy validate")
        .example("$0 init -f deploy/services.yaml", "write it elsewhere") as unknown as Argv<InitArgs>,
    handler: async (argv) => {
      setExit(await initAction(argv, io));
    },
  };
}

/** Writes the starter manifest; refuses (exit 2, nothing written) when the file exists and --force is not given. */
export async function initAction(argv: InitArgs, io: Io): Promise<number> {
  const file = resolve(io.cwd, argv.file);
  const dir = dirname(file);
  const project = projectFromDir(dir);
  const text = starterManifest({ project, schema: schemaReference(dir, packageFile(SCHEMA)) });
  try {
    // `wx` fails if the file exists, in the same call that would create it: no race with another writer.
    await writeFile(file, text, { flag: argv.force ? "w" : "wx" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new UsageError(`${file} already exists; --force overwrites it`);
    if (code === "ENOENT") throw new UsageError(`${dir} does not exist`);
    throw error;
  }
  io.stdout.write(
    `wrote ${file} (project ${project}, one service: web)\n` +
      "next: point `repo` at your code, then `deploy validate` and `deploy plan all main`\n",
  );
  return EXIT.ok;
}

const SCHEMA = "schema/services.schema.json";

/**
 * How the manifest names the schema: relative when the package lies under the manifest's folder (a local
 * install, or this repository), else the absolute path of the installed schema (a global install).
 */
export function schemaReference(manifestDir: string, schemaFile: string): string {
  const path = relative(manifestDir, schemaFile);
  if (path === "" || isAbsolute(path) || path.startsWith(`..${sep}`) || path === "..") return schemaFile;
  return `./${path.split(sep).join("/")}`;
}

/** The starter manifest: one service built from the repository it sits in, every other key shown commented. */
export function starterManifest(options: { project: string; schema: string }): string {
  return `# yaml-language-server: $schema=${options.schema}
#
# The services \`deploy\` deploys (written by \`deploy init\`). Editors with YAML support check and complete this file
# from the schema above. Each service's image is built from its git repository on its host and started behind a
# health gate; when the new container is not healthy, the previous one is put back.
#
#   deploy validate          check this file: every problem, with its line
#   deploy plan all main     what a deploy from branch main would do, touching nothing
#   deploy all main          deploy every service (or a comma list: deploy web,api main)
#   deploy status            what runs now; logs and status files are under logs/
version: 1
# Prefix of container names (<project>-<service>), image names (<project>/<service>) and labels.
project: ${options.project}

# Merged under every service; a service's own keys win.
defaults:
  branch: main
  # \`local\` is this machine's engine (DOCKER_HOST or /var/run/docker.sock); other hosts are named under hosts:.
  host: local
  restart: unless-stopped
  # A new container is healthy when GET http://127.0.0.1:<its first published port>/health answers 200.
  # Other gates: { docker: true } (the image's HEALTHCHECK), { running: 10s }, or false.
  health: { path: /health, interval: 1s, timeout: 60s }

# Docker hosts reached over SSH (the engine's socket is forwarded; nothing is installed on them).
# hosts:
#   web1:
#     ssh: deploy@203.0.113.10
#     identity_file: /home/deploy/.ssh/id_ed25519

services:
  web:
    # A git URL (https://…, git@host:org/repo.git) or a local repository, relative to this file.
    repo: .
    # The folder of the repository that holds the Dockerfile (monorepos: one folder per service).
    context: .
    # dockerfile: Dockerfile
    # build_args: { NODE_ENV: production }      # secret: never printed or logged
    ports: ["127.0.0.1:8080:8080"]              # [ip:]host_port:container_port
    # environment: { LOG_LEVEL: info }          # secret: never printed or logged
    # env_file: .env
    # volumes: ["web-data:/data"]
    # depends_on: [api]                         # start once these are healthy
    # hosts: [web1]                             # instead of host: one container per host
`;
}
