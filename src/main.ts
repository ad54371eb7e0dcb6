import yargs, { type Argv, type CommandModule } from "yargs";
import { deployCommand } from "./commands/deploy.js";
import { withEnvOptions } from "./commands/env-options.js";
import { initCommand } from "./commands/init.js";
import { logsCommand } from "./commands/logs.js";
import { planCommand } from "./commands/plan.js";
import { releasesCommand } from "./commands/releases.js";
import { rollbackCommand } from "./commands/rollback.js";
import { statusCommand } from "./commands/status.js";
import { unlockCommand } from "./commands/unlock.js";
import { validateCommand } from "./commands/validate.js";
import { EXIT, exitCodeOf, UsageError } from "./errors.js";
import { type Io, processIo } from "./io.js";
import { packageVersion } from "./package-info.js";
import { redactUrl } from "./url-redact.js";

/**
 * Runs the CLI on `argv` (without node and script) and resolves to the exit code; it never rejects. Errors
 * are handled once, here: one that carries an exit code (usage, manifest, lock) exits with it and its message;
 * anything else is a bug, exit 1, shown with its stack only when DEBUG is set.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    // A message may quote a URL with its credentials (a repo, a git error): never print them.
    const say = (text: string) => io.stderr.write(redactUrl(text));
    if (isYargsError(error)) {
      say(`deploy: ${(error as Error).message}\nRun deploy --help for usage.\n`);
      return EXIT.usage;
    }
    const code = exitCodeOf(error);
    if (code !== null) {
      say(`deploy: ${(error as Error).message}\n`);
      return code;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    say(`deploy: unexpected error: ${err.message}\n${io.env.DEBUG ? `${err.stack}\n` : ""}`);
    return EXIT.failed;
  }
}

async function run(argv: readonly string[], io: Io): Promise<number> {
  // Before yargs: the default command would otherwise ask for its <services> first.
  if (wantsVersion(argv)) {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  let exitCode: number = EXIT.ok;
  const setExit = (code: number) => {
    exitCode = code;
  };
  // Each command reads its own options' DEPLOY_* variables (not yargs' .env(), which takes any DEPLOY_*).
  const withEnv = <T, U>(command: CommandModule<T, U>): CommandModule<T, U> => {
    const { builder } = command;
    if (typeof builder !== "function") return command;
    return { ...command, builder: (yargs) => withEnvOptions(builder(yargs) as Argv<U>, io.env) };
  };
  const parser = yargs([...argv])
    .scriptName("deploy")
    .option("file", {
      alias: "f",
      type: "string",
      default: "services.yaml",
      describe: "the services manifest",
      global: true,
    })
    .command(withEnv(validateCommand(io, setExit)))
    .command(withEnv(planCommand(io, setExit)))
    .command(withEnv(statusCommand(io, setExit)))
    .command(withEnv(logsCommand(io, setExit)))
    .command(withEnv(rollbackCommand(io, argv, setExit)))
    .command(withEnv(releasesCommand(io, setExit)))
    .command(withEnv(unlockCommand(io, setExit)))
    .command(withEnv(initCommand(io, setExit)))
    .command(withEnv(deployCommand(io, argv, setExit)))
    // yargs' own `completion` command also runs the default (deploy) command: show the script from a command
    // of our own instead, and keep yargs' completion only for the shell's `--get-yargs-completions` calls.
    .completion("__completion", false)
    .command("completion", "Print a bash/zsh completion script (deploy completion >> ~/.bashrc)", {}, () => {
      parser.showCompletionScript();
    })
    .strict()
    .help()
    .alias("help", "h")
    // Shown in --help; answered above.
    .version(false)
    .option("version", { type: "boolean", describe: "Print the version and exit", global: false })
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  await parser.parseAsync();
  return exitCode;
}

/** `--version` anywhere before a `--`. */
function wantsVersion(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--version");
}

function isYargsError(error: unknown): boolean {
  return error instanceof Error && error.name === "YError";
}
