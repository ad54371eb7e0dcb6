/** Checks after a timed deploy: every service answers, and runs what its repository holds now. */
import { waitHealthy } from "./engine.mjs";
import { git } from "./fixtures.mjs";
import { mustRun } from "./proc.mjs";

export const healthUrls = (services) => services.map((s) => `http://127.0.0.1:${s.port}/health`);

export async function allHealthy(services) {
  await Promise.all(
    healthUrls(services).map((url) => waitHealthy(url, { intervalMs: 100, timeoutMs: 5_000 })),
  );
}

/**
 * Every service's container (found by its host port, whoever named it) holds `files` (repo paths, found at
 * /<path> in the image) as on the repo's `main`: a variant that deployed a stale image, or another service's
 * (a build-cache hit on a context it did not send), has not done the work the figure times, so it fails.
 */
export async function verifyContent(variant, services, files = ["stamp"]) {
  const { stdout } = await mustRun("docker", ["ps", "--format", "{{.ID}}\t{{.Ports}}"]);
  const byPort = new Map();
  for (const line of stdout.trim().split("\n")) {
    const [id, ports = ""] = line.split("\t");
    for (const match of ports.matchAll(/127\.0\.0\.1:(\d+)->/g)) byPort.set(Number(match[1]), id);
  }
  const check = async (service, id, file) => {
    const [want, got] = await Promise.all([
      git(service.repo, "show", `main:${file}`),
      mustRun("docker", ["exec", id, "cat", `/${file}`]).then((r) => r.stdout.trim()),
    ]);
    return got === want
      ? null
      : `${service.name}: its image holds ${file} "${got}", its repository "${want}"`;
  };
  const wrong = await Promise.all(
    services.flatMap((service) => {
      const id = byPort.get(service.port);
      if (!id) return [`${service.name}: no container publishes port ${service.port}`];
      return files.map((file) => check(service, id, file));
    }),
  );
  const problems = wrong.filter(Boolean);
  if (problems.length > 0)
    throw new Error(`${variant} deployed the wrong content:\n  ${problems.join("\n  ")}`);
}
