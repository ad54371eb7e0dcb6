import { LABEL } from "../labels.js";
import { envFileEntries } from "./compose-forms.js";
import { isValidName, NAME_RULE } from "./names.js";
import { keyPath } from "./normalise.js";
import { escapes, isGitUrl, isInside } from "./paths.js";
import { type Rule, type RuleContext, servicesOf } from "./rule-context.js";
import { buildSpelledOnce, imageServiceNotBuilt, pullPolicyNeedsImage } from "./rules-forms.js";
import {
  completionNeedsJob,
  dependenciesExist,
  hostPortsAreUnique,
  hostsAreKnown,
  noDependencyCycles,
} from "./rules-links.js";
import { SWARM_RULES } from "./rules-swarm.js";
import { RESERVED_SERVICE_NAMES } from "./types.js";

/**
 * The cross-field rules, each small and named (see rule-context.ts for what they see): names, paths and labels
 * here, links between services and hosts in rules-links.ts. RULES is the list parse.ts applies.
 */

export type { Rule, RuleContext };

const RESERVED: ReadonlySet<string> = new Set(RESERVED_SERVICE_NAMES);
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** "io.deploy.": taken from labels.ts so the two cannot drift apart. */
const LABEL_PREFIX = `${LABEL.project.split(".").slice(0, 2).join(".")}.`;

/** Services become container names, image names and CLI arguments. */
export const serviceNamesAreValid: Rule = ({ serviceNames, load }) => {
  for (const name of serviceNames) {
    if (RESERVED.has(name)) {
      load.problems.add(
        ["services", name],
        `"${name}" is reserved for a command of the CLI: rename the service`,
      );
    } else if (!isValidName(name)) {
      load.problems.add(
        ["services", name],
        `service name "${name}" must be ${NAME_RULE} (it names containers and images)`,
      );
    }
  }
};

/** Host names go into status file names (`<service>@<host>.status.json`). */
export const hostNamesAreValid: Rule = ({ hostNames, load }) => {
  for (const name of hostNames) {
    if (!HOST_NAME.test(name)) {
      load.problems.add(
        ["hosts", name],
        `host name "${name}" must be letters, digits, ".", "_" and "-" (it names files)`,
      );
    }
  }
};

export const contextInsideRepository: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    if (escapes(spec.context)) {
      load.problems.add(
        keyPath(source, "context"),
        "must be a folder inside the repository (relative, not climbing out with ..)",
      );
    }
  }
};

export const dockerfileInsideContext: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    if (escapes(spec.dockerfile)) {
      load.problems.add(
        keyPath(source, "dockerfile"),
        "must be inside context (relative to it, not climbing out with ..)",
      );
    }
  }
};

export const envFileInsideManifestFolder: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    const written = source.own.env_file === undefined ? source.defaults.env_file : source.own.env_file;
    const entries = envFileEntries(written);
    spec.envFiles.forEach((file, index) => {
      if (isInside(load.dir, file)) return;
      load.problems.add(
        keyPath(source, "env_file", ...(entries[index]?.at ?? [])),
        "must be inside the manifest's folder (relative, not climbing out with ..)",
      );
    });
  }
};

export const localRepositoryExists: Rule = ({ manifest, load }) => {
  for (const spec of Object.values(manifest.services)) {
    if (spec.repo === undefined || isGitUrl(spec.repo) || load.exists(spec.repo)) continue;
    const path = ["services", spec.name, "repo"];
    load.problems.add(
      path,
      `local repository ${load.shown(path, spec.repo)} not found (give a git URL, or a path from the manifest's folder)`,
    );
  }
};

/** The tool finds its containers by its own labels: a service must not be able to forge them. */
export const labelsNotReserved: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    for (const key of Object.keys(spec.labels)) {
      if (!key.startsWith(LABEL_PREFIX)) continue;
      const path =
        source.own.labels?.[key] === undefined
          ? ["defaults", "labels", key]
          : ["services", spec.name, "labels", key];
      load.problems.add(
        path,
        `label "${key}" uses the prefix ${LABEL_PREFIX} that the tool keeps for itself`,
      );
    }
  }
};

/** The proxy carries HTTP over TCP to a long-running container: it needs a TCP port or a host name to route. */
export const proxyIsServable: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    const { proxy } = spec;
    if (!proxy) continue;
    const path = keyPath(source, "proxy");
    if (spec.kind === "job") load.problems.add(path, "a job serves nothing: it cannot sit behind the proxy");
    if (spec.ports.some((port) => port.protocol === "udp")) {
      load.problems.add(path, "the proxy carries TCP only: publish UDP ports without it");
    }
    const target = proxy.port ?? spec.ports[0]?.containerPort;
    if (spec.ports.length === 0 && !proxy.host) {
      load.problems.add(
        path,
        "needs `ports` to publish through the proxy, or `proxy: { host: … }` to route by name",
      );
    } else if (proxy.host && target === undefined) {
      load.problems.add(path, "needs `proxy.port`: the container port that host-name traffic goes to");
    }
  }
};

export const RULES: readonly Rule[] = [
  serviceNamesAreValid,
  hostNamesAreValid,
  hostsAreKnown,
  dependenciesExist,
  completionNeedsJob,
  noDependencyCycles,
  hostPortsAreUnique,
  imageServiceNotBuilt,
  pullPolicyNeedsImage,
  buildSpelledOnce,
  contextInsideRepository,
  dockerfileInsideContext,
  envFileInsideManifestFolder,
  localRepositoryExists,
  labelsNotReserved,
  proxyIsServable,
  ...SWARM_RULES,
];

export function applyRules(ctx: RuleContext): void {
  for (const rule of RULES) rule(ctx);
}
