import type { Path } from "./problems.js";

/**
 * Docker Compose keys this manifest does not have, with what to use instead where there is an equivalent:
 * someone moving a compose.yaml over gets told why the key is refused, not only that it is unknown.
 */

const SERVICE: Record<string, string> = {
  healthcheck:
    "use health: {docker: true} with a HEALTHCHECK in the image, or an HTTP gate (health: {path, port} or {url})",
  container_name: "containers are named <project>-<service>",
  deploy: "for limits use memory and cpus; for one container per host use hosts",
  expose: "services on a shared network (networks) reach each other on any port by service name",
  links: "put both services on one network (networks): they reach each other by service name",
  profiles: "select services on the command line: deploy <service> …",
  secrets:
    "use environment or env_file (their values are kept secret; a key without a value comes from the caller's environment)",
  configs: "mount the file with volumes",
  mem_limit: "use memory",
  cpu_count: "use cpus",
  extends: "share settings through defaults, or a YAML anchor under an x- key",
  network_mode: "use networks",
  entrypoint: "set the ENTRYPOINT in the image; command overrides its CMD",
};

const TOP: Record<string, string> = {
  name: "use project",
  networks: "networks listed by a service are created when missing",
  volumes: "named volumes are created by the engine on first use",
  secrets: "use environment or env_file in the service (their values are kept secret)",
  configs: "mount files with volumes in the service",
};

const DEPENDENCY: Record<string, string> = {
  restart: "a dependent is not restarted when its dependency is redeployed",
  required: "every dependency is required",
};

/** Other Compose service keys: refused as Compose's, without an equivalent here. */
const OTHER_SERVICE_KEYS = new Set([
  "platform",
  "user",
  "working_dir",
  "hostname",
  "domainname",
  "extra_hosts",
  "dns",
  "dns_search",
  "cap_add",
  "cap_drop",
  "privileged",
  "ulimits",
  "tmpfs",
  "stop_grace_period",
  "stop_signal",
  "init",
  "tty",
  "stdin_open",
  "devices",
  "security_opt",
  "sysctls",
  "pid",
  "ipc",
  "shm_size",
  "scale",
  "logging",
  "env_file_format",
  "annotations",
  "attach",
  "develop",
  "external_links",
  "group_add",
  "isolation",
  "mac_address",
  "oom_score_adj",
  "read_only",
  "runtime",
  "userns_mode",
  "volumes_from",
  "mem_reservation",
  "memswap_limit",
  "cpu_shares",
  "cpuset",
]);

/** The message for an unknown key that Docker Compose has, or undefined when Compose does not have it either. */
export function composeKeyMessage(objectPath: Path, key: string): string | undefined {
  const [first] = objectPath;
  const where =
    objectPath.length === 0
      ? "top"
      : objectPath.length === 2 && first === "services"
        ? "service"
        : objectPath.length === 4 && first === "services" && objectPath[2] === "depends_on"
          ? "dependency"
          : objectPath.length === 3 && first === "services" && objectPath[2] === "build"
            ? "build"
            : undefined;
  const table =
    where === "top" ? TOP : where === "service" ? SERVICE : where === "dependency" ? DEPENDENCY : {};
  const instead = table[key];
  const name = `"${key}" is a Docker Compose key that this tool does not support`;
  if (instead) return `${name}: ${instead}`;
  if (where === "service" && OTHER_SERVICE_KEYS.has(key)) return name;
  if (where === "build") return `${name} under build: (build takes context, dockerfile, target and args)`;
  return undefined;
}
