import { BUILD_ALIASES } from "./compose-forms.js";
import { type Rule, servicesOf } from "./rule-context.js";
import type { WrittenDefaults } from "./schema.js";

/** The rules about where a service's image comes from (built from `repo` or pulled as `image`), and about
 * Compose's `build:` spelling of the build keys. Only what a service writes itself is judged: a default that
 * does not apply to it (a branch for an image service) is not its mistake. */

const BUILD_KEYS = ["branch", "context", "dockerfile", "target", "build_args", "build"] as const;

export const imageServiceNotBuilt: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    if (spec.image === undefined) continue;
    for (const key of BUILD_KEYS) {
      if (source.own[key] === undefined) continue;
      load.problems.add(
        ["services", spec.name, key],
        `an image service is pulled, not built: ${key} applies only to a service with repo`,
      );
    }
  }
};

export const pullPolicyNeedsImage: Rule = ({ manifest, sources, load }) => {
  for (const { spec, source } of servicesOf({ manifest, sources })) {
    if (spec.image !== undefined || source.own.pull_policy === undefined) continue;
    load.problems.add(
      ["services", spec.name, "pull_policy"],
      "pull_policy applies only to a service with image (this one is built from repo)",
    );
  }
};

/** `build:` and the flat keys are two spellings of the same settings: one object gives one of them. */
export const buildSpelledOnce: Rule = ({ manifest, sources, load }) => {
  const check = (owner: readonly string[], written: WrittenDefaults) => {
    if (written.build === undefined) return;
    const flat = (Object.keys(BUILD_ALIASES) as (keyof typeof BUILD_ALIASES)[]).filter(
      (key) => written[key] !== undefined,
    );
    for (const key of flat) {
      load.problems.add(
        [...owner, key],
        `${key} and build: are two spellings of the build settings: give them in one of the two (build.${BUILD_ALIASES[key]})`,
      );
    }
  };
  if (sources.size > 0) check(["defaults"], [...sources.values()][0]?.defaults ?? {});
  for (const { spec, source } of servicesOf({ manifest, sources }))
    check(["services", spec.name], source.own);
};
