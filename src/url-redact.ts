/**
 * Leaf: hides the user info of every `scheme://user:password@host` URL in a text (`https://[REDACTED]@host/…`).
 * Tokens travel there (`https://x-access-token:…@github.com/…`), and git repeats the URL in its errors. The user
 * info runs up to the last `@` before the host's end, so a password with a raw `@` is hidden whole. scp-like
 * `git@host:path`, and an ssh URL's user without a password (`ssh://git@host`), are account names, kept.
 */
export const REDACTED = "[REDACTED]";

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]+)@/gi;
const SSH_SCHEME = /^(?:ssh|git\+ssh|ssh\+git):\/\/$/i;

export function redactUrl(text: string): string {
  return text.replace(URL_USERINFO, (match, scheme: string, userinfo: string) => {
    if (SSH_SCHEME.test(scheme) && !userinfo.includes(":")) return match;
    return `${scheme}${REDACTED}@`;
  });
}
