/**
 * Throwaway git repositories and the manifests / compose files that deploy them.
 *
 * Every fixture service is a busybox httpd site on container port 8080 with `/health`, built with a short step:
 * odd ones `RUN sleep 1`, even ones a small COPY + RUN that writes a file. Each repo has a `stamp` file copied
 * first in its Dockerfile: a variant commits its own stamp, different in each repo, so no build can reuse a
 * layer of another variant, nor of a sibling service (with identical steps, the classic builder would reuse a
 * sibling's layer when one at a time, and BuildKit would run a step shared by concurrent builds only once).
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";

const exec = promisify(execFile);

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
};

export async function git(dir, ...args) {
  const { stdout } = await exec("git", args, { cwd: dir, env: GIT_ENV });
  return stdout.trim();
}

async function writeFiles(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** A git repository at `dir` with `files` as its first commit on `main`. */
export async function makeRepo(dir, files) {
  await mkdir(dir, { recursive: true });
  await git(dir, "init", "-q", "-b", "main");
  await git(dir, "config", "user.name", "Bench");
  await git(dir, "config", "user.email", "bench@example.invalid");
  await git(dir, "config", "commit.gpgsign", "false");
  await commit(dir, files, "initial commit");
  return dir;
}

export async function commit(dir, files, message = "update") {
  await writeFiles(dir, files);
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "--allow-empty", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

const HTTPD = 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]';

/** The build steps of fixture service number `index` (1-based): sleep for odd, COPY + RUN for even. */
function buildSteps(index, name) {
  if (index % 2 === 1) return ["COPY stamp /stamp", "RUN sleep 1 && cp /stamp /built", "COPY www/ /www/"];
  return [
    "COPY stamp /stamp",
    "COPY www/ /www/",
    `RUN cd /www && i=0 && while [ $i -lt 3000 ]; do echo "line $i of ${name}"; i=$((i+1)); done > lines.txt && md5sum lines.txt > lines.md5`,
  ];
}

/** The files of one fixture service. */
export function serviceFiles(index, name, stamp) {
  return {
    Dockerfile: [
      "FROM busybox:latest",
      ...buildSteps(index, name),
      "EXPOSE 8080",
      // busybox httpd ignores SIGTERM as PID 1: SIGKILL makes a stop immediate.
      "STOPSIGNAL SIGKILL",
      HTTPD,
      "",
    ].join("\n"),
    ".dockerignore": "README.md\n",
    "README.md": `# ${name}\nA bench fixture.\n`,
    stamp: `${stamp} ${name}\n`,
    "www/index.html": `<!doctype html>\n<html><body><h1>${name}</h1></body></html>\n`,
    "www/health": "ok\n",
  };
}

/** Commits a new stamp to a fixture repo: the next build of it cannot use any earlier cache. */
export function restamp(dir, stamp) {
  return commit(dir, { stamp: `${stamp} ${basename(dir)}\n` }, `stamp ${stamp}`);
}

/** Health settings shared by every variant: the bash and compose pollers use the same interval. */
export const HEALTH_INTERVAL_MS = 250;

const defaults = () => ({
  branch: "main",
  host: "local",
  restart: "unless-stopped",
  health: { path: "/health", interval: `${HEALTH_INTERVAL_MS}ms`, timeout: "60s" },
});

/**
 * The tool's manifest for `services` ([{ name, repo, port, context?, dependsOn? }]), written to
 * `<dir>/services.yaml`; returns its path.
 */
export async function writeManifest(dir, project, services) {
  const manifest = {
    version: 1,
    project,
    defaults: defaults(),
    services: Object.fromEntries(
      services.map((service) => [
        service.name,
        {
          repo: service.repo,
          ...(service.context ? { context: service.context } : {}),
          ports: [`127.0.0.1:${service.port}:8080`],
          ...(service.dependsOn ? { depends_on: service.dependsOn } : {}),
        },
      ]),
    ),
  };
  await mkdir(dir, { recursive: true });
  const file = join(dir, "services.yaml");
  await writeFile(file, stringify(manifest));
  return file;
}

/** A compose file (v1 syntax, as docker-compose 1.29 reads it) building each service from its cloned folder. */
export async function writeComposeFile(dir, project, services) {
  const compose = {
    version: "3.7",
    services: Object.fromEntries(
      services.map((service) => [
        service.name,
        {
          build: { context: service.dir },
          image: `${project}/${service.name}:latest`,
          ports: [`127.0.0.1:${service.port}:8080`],
          restart: "unless-stopped",
        },
      ]),
    ),
  };
  await mkdir(dir, { recursive: true });
  const file = join(dir, "docker-compose.yml");
  await writeFile(file, stringify(compose));
  return file;
}

/**
 * `repos` monorepos of `perRepo` service folders each (app-00 …), for the plan figure: the services share
 * repositories and differ by `context`.
 */
export async function makeMonorepos(root, repos, perRepo) {
  const dirs = [];
  for (let r = 0; r < repos; r++) {
    const files = {};
    for (let s = 0; s < perRepo; s++) {
      const folder = `app-${String(s).padStart(2, "0")}`;
      for (const [path, content] of Object.entries(serviceFiles(s + 1, `${folder}`, `mono-${r}`))) {
        files[`${folder}/${path}`] = content;
      }
    }
    dirs.push(await makeRepo(join(root, `mono-${r}`), files));
  }
  return dirs;
}
