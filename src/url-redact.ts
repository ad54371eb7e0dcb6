/**
 * Leaf: hides the user info of every `scheme://user:password@host` URL in a text (`https://***@host/…`).
 * Tokens travel there (`https://x-access-token:…@github.com/…`), and git repeats the URL in its errors.
 * scp-like `git@host:path` is left alone: it holds a user name, never a password.
 */
const USER_INFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

export function redactUrl(text: string): string {
  return text.replace(USER_INFO, "$1***@");
}
