import { isGitUrl } from "./paths.js";

/**
 * Pure checks of what reaches git from a manifest or the command line: a `repo` and a ref. Each returns why the
 * value is refused, or undefined. Messages never repeat the value: it may have come from an environment variable.
 */

/** Any C0 control character or DEL: git refuses them in refs, and they have no place in a URL or path. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * git check-ref-format's rules for a branch name (`--branch`: one level allowed, no leading "-"), which also
 * admit tags and commit ids. See git-check-ref-format(1).
 */
export function refProblem(ref: string): string | undefined {
  if (ref.startsWith("-")) return 'must not start with "-" (git would read it as an option)';
  if (hasControl(ref)) return "must not contain control characters";
  if (/[\s~^:?*[\\]/.test(ref))
    return "must not contain spaces or any of ~ ^ : ? * [ \\ (not a valid git ref)";
  if (ref.includes("..")) return 'must not contain ".." (not a valid git ref)';
  if (ref.includes("@{")) return 'must not contain "@{" (not a valid git ref)';
  if (ref === "@" || ref === "HEAD") return "must name a branch, tag or commit (not a valid git ref)";
  if (ref.startsWith("/") || ref.endsWith("/") || ref.includes("//")) {
    return 'must not start or end with "/" or hold "//" (not a valid git ref)';
  }
  if (ref.endsWith(".")) return 'must not end with "." (not a valid git ref)';
  for (const part of ref.split("/")) {
    if (part.startsWith(".")) return 'no part between "/" may start with "." (not a valid git ref)';
    if (part.endsWith(".lock")) return 'no part between "/" may end with ".lock" (not a valid git ref)';
  }
  return undefined;
}

/** Transports git may use: `scheme://` URLs of these, scp-like `user@host:path`, and local paths. */
const SCHEMES = new Set(["ssh", "git+ssh", "ssh+git", "git", "http", "https", "file"]);
const ALLOWED = "give an ssh, https, http or git URL, user@host:path, or a local path";
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
/** git's remote-helper form `<transport>::<address>` (ext::, fd::…): runs programs, never a repository. */
const HELPER_FORM = /^[a-z0-9][a-z0-9+.-]*::/i;
const SCP_LIKE = /^[^\s/@]+@(?<host>[^\s/:]+):/;

export function repoProblem(repo: string): string | undefined {
  if (repo.startsWith("-")) return 'must not start with "-" (git would read it as an option)';
  if (hasControl(repo)) return "must not contain control characters";
  if (HELPER_FORM.test(repo)) return `git's "<transport>::<address>" form is not allowed: ${ALLOWED}`;
  const scheme = SCHEME.exec(repo)?.[1]?.toLowerCase();
  if (scheme !== undefined) return urlProblem(repo, scheme);
  if (isGitUrl(repo)) {
    const host = SCP_LIKE.exec(repo)?.groups?.host ?? "";
    if (host.startsWith("-")) return 'the host must not start with "-"';
  }
  return undefined;
}

function urlProblem(repo: string, scheme: string): string | undefined {
  if (!SCHEMES.has(scheme)) return `transport ${scheme}:// is not allowed: ${ALLOWED}`;
  if (/\s/.test(repo)) return "a URL must not contain spaces";
  if (!URL.canParse(repo)) return "is not a valid URL";
  const { hostname } = new URL(repo);
  if (scheme !== "file" && hostname === "") return "the URL has no host";
  // "%2d" is "-" once git decodes it.
  if (/^(?:-|%2d)/i.test(hostname)) return 'the host must not start with "-"';
  return undefined;
}
