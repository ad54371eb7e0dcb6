import { UsageError } from "../errors.js";
import { refProblem } from "../manifest/git-values.js";

/** The `[branch]` argument (yargs coerce): a branch, tag or commit name git accepts, never one it could take for an option. */
export function refArgument(ref: string | undefined): string | undefined {
  if (ref === undefined) return undefined;
  const problem = refProblem(ref);
  if (problem !== undefined) throw new UsageError(`the branch argument ${JSON.stringify(ref)} ${problem}`);
  return ref;
}

/**
 * yargs leaves the words after `--` in `_` instead of filling `[branch]`: the first is the branch
 * (`deploy all -- main`), checked like any other; more is an error, as strict mode says without `--`.
 */
export function branchAfterDashes(
  argv: { _: Array<string | number>; branch?: string | undefined },
  commandWords: number,
): void {
  const extra = argv._.slice(commandWords).map(String);
  if (extra.length === 0) return;
  if (argv.branch !== undefined || extra.length > 1) {
    throw new UsageError(`unexpected argument ${JSON.stringify(extra.at(-1))}`);
  }
  argv.branch = refArgument(extra[0]);
  argv._ = argv._.slice(0, commandWords);
}
