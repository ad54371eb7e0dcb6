/**
 * What git runs with: the caller's environment filtered to what git needs, never a prompt (the tool runs from
 * cron), only the transports the manifest accepts, and network limits so a silent server is noticed.
 */

/**
 * What git may see of the caller's environment. An allowlist, not process.env: variables that run programs
 * (EDITOR, PAGER, GIT_ASKPASS… — npm sets EDITOR for every script) have no business here.
 */
const PASSED_ENV = [
  "PATH",
  "HOME",
  "USER",
  "LANG",
  "LC_ALL",
  "TMPDIR",
  "SSH_AUTH_SOCK",
  "XDG_CONFIG_HOME",
  "GIT_SSL_CAINFO",
  "SSL_CERT_FILE",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
];

/** Git itself refuses any other transport (ext::, fd::…), whatever reaches it. */
const ALLOWED_PROTOCOLS = "ssh:https:http:git:file";

/** An ssh connection silent for 3 × 15 s is given up. */
const SERVER_ALIVE_INTERVAL_S = 15;
const MAX_CONNECT_TIMEOUT_S = 20;

/** Below 1 kB/s for this long, curl gives up an http(s) transfer. */
const LOW_SPEED_LIMIT = 1000;
const MAX_LOW_SPEED_TIME_S = 30;

/**
 * The caller's GIT_SSH_COMMAND (a deploy key, a jump host) or plain ssh, with the tool's options appended:
 * ssh takes the first value it is given for an option, so the caller's own choices win.
 */
export function sshCommand(callerCommand: string | undefined, timeoutMs: number): string {
  const connectTimeout = Math.min(MAX_CONNECT_TIMEOUT_S, Math.max(1, Math.ceil(timeoutMs / 1000)));
  const base = callerCommand?.trim() || "ssh";
  return `${base} -o BatchMode=yes -o ConnectTimeout=${connectTimeout} -o ServerAliveInterval=${SERVER_ALIVE_INTERVAL_S} -o ServerAliveCountMax=3`;
}

/** `-c` options for a git command that talks to a remote: http(s) transfers that stall are abandoned. */
export function networkConfig(timeoutMs: number): string[] {
  const lowSpeedTime = Math.min(MAX_LOW_SPEED_TIME_S, Math.max(1, Math.ceil(timeoutMs / 1000)));
  return ["-c", `http.lowSpeedLimit=${LOW_SPEED_LIMIT}`, "-c", `http.lowSpeedTime=${lowSpeedTime}`];
}

export function gitEnv(env: NodeJS.ProcessEnv, timeoutMs: number): Record<string, string> {
  const passed = PASSED_ENV.flatMap((name) => {
    const value = env[name];
    return value === undefined ? [] : [[name, value] as const];
  });
  return {
    ...Object.fromEntries(passed),
    GIT_TERMINAL_PROMPT: "0",
    GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS,
    GIT_SSH_COMMAND: sshCommand(env.GIT_SSH_COMMAND, timeoutMs),
  };
}
