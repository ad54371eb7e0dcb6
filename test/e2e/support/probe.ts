import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./cli.js";

/** What a probe saw: every attempt counts, none is retried (a retry would hide an outage). */
export interface ProbeResult {
  ok: number;
  failed: number;
  /** The first few failures, for assertion messages. */
  errors: string[];
  /** Bodies seen, in order, without repeats in a row (to see the switch from one version to the next). */
  bodies: string[];
}

/**
 * Three clients asking `url` every 30 ms, a new connection each time, until stopped (scripts/http-probe.cjs):
 * inside the network namespace `netns` when given (an SSH test host's ports exist only there).
 */
export function startProbe(url: string, netns?: string): { stop(): Promise<ProbeResult> } {
  const argv = [process.execPath, join(REPO_ROOT, "scripts", "http-probe.cjs"), url];
  const child = netns
    ? spawn("nsenter", [`--net=${netns}`, ...argv])
    : spawn(argv[0] as string, argv.slice(1));
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
  });
  const ended = new Promise((resolve) => child.on("exit", resolve));
  return {
    async stop() {
      child.kill("SIGTERM");
      await ended;
      return JSON.parse(out) as ProbeResult;
    },
  };
}
