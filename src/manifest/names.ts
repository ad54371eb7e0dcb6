import path from "node:path";

/**
 * Project and service names become container names (`<project>-<service>`) and image repositories
 * (`<project>/<service>`), so they follow Docker's image path-component grammar: lowercase letters and digits,
 * separated by ".", "_", "__" or runs of "-", starting and ending with a letter or digit. That is the
 * `^[a-z0-9][a-z0-9_.-]*$` of the contract, minus the few spellings Docker would refuse at build time.
 */
export const NAME_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export const NAME_RULE =
  'lowercase letters, digits, ".", "_" and "-", starting and ending with a letter or digit, no two separators in a row';

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** The default project: the manifest folder's name, made into a valid name ("My App_2" -> "my-app_2"). */
export function projectFromDir(dir: string): string {
  const sanitised = path
    .basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    // Separators Docker would refuse in a row ("._", "-.") become one "-"; "__" and runs of "-" are fine.
    .replace(/[._-]{2,}/g, (run) => (run === "__" || /^-+$/.test(run) ? run : "-"))
    .replace(/^[._-]+|[._-]+$/g, "");
  return isValidName(sanitised) ? sanitised : "deploy";
}
