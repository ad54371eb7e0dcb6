import type { Manifest } from "../manifest/types.js";
import { MIN_MASKED_LENGTH, tooShortToMask } from "../report/redact.js";
import { revealAll } from "../secret.js";

/**
 * One warning per secret value too short to be masked in output (see MIN_MASKED_LENGTH), naming its key and
 * never its value: `validate` tells the operator before such a value shows up in a log.
 */
export function unmaskedValueWarnings(manifest: Manifest): string[] {
  const warnings: string[] = [];
  for (const service of Object.values(manifest.services)) {
    const groups = { environment: service.environment, build_args: service.buildArgs };
    for (const [group, secrets] of Object.entries(groups)) {
      for (const [key, value] of Object.entries(revealAll(secrets))) {
        if (!tooShortToMask(value)) continue;
        warnings.push(
          `services.${service.name}.${group}.${key}: a value (or line) shorter than ${MIN_MASKED_LENGTH} characters is not masked in logs and output`,
        );
      }
    }
  }
  return warnings;
}
