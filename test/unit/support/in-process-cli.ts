import { PassThrough } from "node:stream";
import { main } from "../../../src/main.js";

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in process with `env` as its whole environment, collecting its output. */
export async function runMain(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<InProcessResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => {
    out += chunk;
  });
  stderr.on("data", (chunk) => {
    err += chunk;
  });
  const code = await main(argv, { stdout, stderr, env, cwd });
  return { code, stdout: out, stderr: err };
}
