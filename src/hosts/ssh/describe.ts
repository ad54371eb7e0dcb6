/** What went wrong while connecting, in the words an operator needs, with a hint where one helps. */
export function describeConnectError(
  error: unknown,
  context: { user: string; host: string; port: number; readyTimeoutMs: number; tried: string },
  /** After the handshake, a reset or close is the connection going away, not sshd refusing it. */
  established = false,
): string {
  if (!(error instanceof Error)) return String(error);
  const { code, level } = error as { code?: string; level?: string };
  switch (code) {
    case "ECONNREFUSED":
      return `connection refused (is sshd listening on port ${context.port}?)`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `${context.host} is unreachable (${code})`;
    case "ETIMEDOUT":
      return `no answer from ${context.host}:${context.port} (connect timed out)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot resolve the host name ${context.host} (${code})`;
    case "ECONNRESET":
      return established ? "the connection was reset" : `sshd reset the connection${closedHint()}`;
  }
  if (error.message === "Keepalive timeout") {
    return "the host stopped answering keepalives (the network or the host went away)";
  }
  if (level === "client-timeout") {
    return `no SSH handshake within ${context.readyTimeoutMs / 1000} s (is ${context.host}:${context.port} an sshd, and reachable?)`;
  }
  if (level === "client-authentication") {
    return (
      `authentication refused for user ${context.user} (tried ${context.tried}): is its public key in ` +
      `~${context.user}/.ssh/authorized_keys on the host?`
    );
  }
  if (level === "agent") return `the ssh-agent failed: ${error.message}`;
  if (/before (the )?handshake/i.test(error.message))
    return `sshd closed the connection before the handshake${closedHint()}`;
  return error.message;
}

/** sshd drops connections over its MaxStartups limit (unauthenticated connections at once) without a word. */
function closedHint(): string {
  return " (sshd does this when it is over its MaxStartups limit of connections being set up, or a firewall or TCP wrapper refused this address; try again, or raise MaxStartups)";
}
