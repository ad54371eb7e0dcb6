import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Relative path → content. */
export type Files = Record<string, string>;

export interface Repo {
  /** Absolute path of the working tree (a normal, non-bare repository). */
  dir: string;
  /** The default branch it was created with. */
  defaultBranch: string;
  /** Writes `files` on the current branch, commits them, returns the new commit's full sha. */
  commit(files: Files, message?: string): Promise<string>;
  /** Creates `name` from the default branch with `files` committed on it, returns to the default branch; the sha. */
  branch(name: string, files: Files, message?: string): Promise<string>;
  /** Full sha of a branch (default: the default branch). */
  head(ref?: string): Promise<string>;
  remove(): Promise<void>;
}

export async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, {
    cwd: dir,
    // No global or system config of the machine may change the fixtures (signing, hooks, default branch).
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_TERMINAL_PROMPT: "0",
    },
  });
  return stdout.trim();
}

async function writeFiles(dir: string, files: Files): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** A real git repository in a temp folder with `files` as its first commit on `branch` (default `main`). */
export async function makeRepo(files: Files, options: { branch?: string } = {}): Promise<Repo> {
  const defaultBranch = options.branch ?? "main";
  const dir = await mkdtemp(join(tmpdir(), "deploy-e2e-repo-"));
  await git(dir, "init", "-q", "-b", defaultBranch);
  await git(dir, "config", "user.name", "E2E Test");
  await git(dir, "config", "user.email", "e2e@example.invalid");
  await git(dir, "config", "commit.gpgsign", "false");

  const commit = async (more: Files, message = "update"): Promise<string> => {
    await writeFiles(dir, more);
    await git(dir, "add", "-A");
    await git(dir, "commit", "-q", "--allow-empty", "-m", message);
    return git(dir, "rev-parse", "HEAD");
  };

  await commit(files, "initial commit");

  return {
    dir,
    defaultBranch,
    commit,
    async branch(name, more, message = `work on ${name}`) {
      await git(dir, "checkout", "-q", "-b", name, defaultBranch);
      try {
        return await commit(more, message);
      } finally {
        await git(dir, "checkout", "-q", defaultBranch);
      }
    },
    head: (ref = defaultBranch) => git(dir, "rev-parse", `refs/heads/${ref}`),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Puts every path of `files` under `folder` (a service's folder in a monorepo). */
export function inFolder(folder: string, files: Files): Files {
  return Object.fromEntries(Object.entries(files).map(([path, content]) => [`${folder}/${path}`, content]));
}

const HTTPD_CMD = 'CMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]';
// busybox httpd ignores SIGTERM as PID 1; SIGKILL makes `docker stop` immediate instead of a 10 s wait.
const STOP = "STOPSIGNAL SIGKILL";

function page(marker: string): string {
  return `<!doctype html>\n<html><body><h1>${marker}</h1></body></html>\n`;
}

/**
 * A service built `FROM busybox:latest` that serves `www/` with busybox httpd on container port 8080:
 * `/` answers a page holding `marker`, `/health` answers 200 "ok".
 * `dockerfileExtra` lines go after `FROM` (e.g. `ARG TOKEN`, `RUN echo ...`).
 */
export function httpService(marker: string, dockerfileExtra: string[] = []): Files {
  return {
    Dockerfile: [
      "FROM busybox:latest",
      ...dockerfileExtra,
      "COPY www/ /www/",
      "EXPOSE 8080",
      STOP,
      HTTPD_CMD,
      "",
    ].join("\n"),
    ".dockerignore": "README.md\n",
    "README.md": `# ${marker}\n`,
    "www/index.html": page(marker),
    "www/health": "ok\n",
  };
}

/**
 * Its build fails: the first step echoes a line, then exits 3. (First, so that the failed build commits no
 * intermediate image that would be left dangling.)
 */
export function failingBuildService(marker: string): Files {
  return {
    ...httpService(marker),
    Dockerfile: [
      "FROM busybox:latest",
      `RUN echo "building ${marker}, about to fail" && exit 3`,
      "COPY www/ /www/",
      HTTPD_CMD,
      "",
    ].join("\n"),
  };
}

/** Builds fine; its container prints "boom" and exits 1 at once. */
export function crashingService(marker: string): Files {
  return {
    ...httpService(marker),
    Dockerfile: [
      "FROM busybox:latest",
      "COPY www/ /www/",
      STOP,
      `CMD ["sh", "-c", "echo boom; exit 1"]`,
      "",
    ].join("\n"),
  };
}

/** Serves `/` but has no `/health`: the health probe gets 404. */
export function noHealthService(marker: string): Files {
  const files = httpService(marker);
  delete files["www/health"];
  return files;
}
