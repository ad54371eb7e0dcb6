import { describe, expect, it } from "vitest";
import { gitEnv, networkConfig, sshCommand } from "../../src/git/git-env.js";
import { informativeLines } from "../../src/git/git-stderr.js";
import { refProblem, repoProblem } from "../../src/manifest/git-values.js";
import { redactUrl } from "../../src/url-redact.js";

describe("refProblem (git check-ref-format --branch)", () => {
  it.each([
    "main",
    "release/2026-11",
    "feature/x.y",
    "v1.2.3",
    "0123456789abcdef0123456789abcdef01234567",
    "a-b_c",
    "ümlaut",
  ])("accepts %j", (ref) => {
    expect(refProblem(ref)).toBeUndefined();
  });

  it.each([
    ["-x", /must not start with "-"/],
    ["--output=/tmp/x", /must not start with "-"/],
    ["a..b", /".."/],
    ["a@{1}", /"@\{"/],
    ["@", /must name a branch/],
    ["HEAD", /must name a branch/],
    ["with space", /spaces/],
    ["tab\there", /control characters/],
    ["new\nline", /control characters/],
    ["del\u007f", /control characters/],
    ["a~1", /~/],
    ["a^", /~/],
    ["a:b", /~/],
    ["a?", /~/],
    ["a*", /~/],
    ["a[b", /~/],
    ["a\\b", /~/],
    ["/main", /"\/"/],
    ["main/", /"\/"/],
    ["a//b", /"\/"/],
    ["main.", /end with "\."/],
    [".hidden", /start with "\."/],
    ["a/.b", /start with "\."/],
    ["a.lock", /\.lock/],
    ["a.lock/b", /\.lock/],
  ])("refuses %j", (ref, message) => {
    expect(refProblem(ref)).toMatch(message);
  });
});

describe("repoProblem", () => {
  it.each([
    "git@github.com:acme/api.git",
    "ssh://git@github.com/acme/api.git",
    "ssh://git@[::1]:2222/acme/api.git",
    "git+ssh://git@github.com/acme/api.git",
    "https://github.com/acme/api.git",
    "https://x-access-token:abc@github.com/acme/api.git",
    "http://127.0.0.1:8080/api.git",
    "git://127.0.0.1/api.git",
    "file:///srv/git/api.git",
    "/srv/git/api",
    "./api",
    "repos/a b",
    "../api",
  ])("accepts %j", (repo) => {
    expect(repoProblem(repo)).toBeUndefined();
  });

  it.each([
    ["--upload-pac=x@y:;touch marker;", /must not start with "-"/],
    ["-oProxyCommand=touch x", /must not start with "-"/],
    ["ext::sh -c touch% /tmp/x", /"<transport>::<address>" form/],
    ["fd::17", /"<transport>::<address>" form/],
    ["file::/srv/x", /"<transport>::<address>" form/],
    ["https::example.com/x", /"<transport>::<address>" form/],
    ["ftp://example.com/x.git", /transport ftp:\/\/ is not allowed/],
    ["ext://x", /transport ext:\/\/ is not allowed/],
    ["ssh://-oProxyCommand=touch%20x/repo", /host must not start with "-"/],
    ["ssh://%2doProxyCommand=x/repo", /host must not start with "-"/],
    ["git@-oProxyCommand=x:repo", /host must not start with "-"/],
    ["ssh:///srv/x.git", /no host/],
    ["https://host/a b", /spaces/],
    ["https://host/a\nb", /control characters/],
    ["./a\u0000b", /control characters/],
  ])("refuses %j", (repo, message) => {
    expect(repoProblem(repo)).toMatch(message);
  });

  it("never repeats the value (it may come from an environment variable)", () => {
    const secret = "https://tok:SECRET@-host/x";
    expect(repoProblem(secret)).not.toContain("SECRET");
  });
});

describe("informativeLines", () => {
  const advice = [
    "fatal: Could not read from remote repository.",
    "",
    "Please make sure you have the correct access rights",
    "and the repository exists.",
  ];
  it.each([
    [
      "an unknown ssh host",
      ["ssh: Could not resolve hostname nohost.invalid: Name or service not known", ...advice],
      [
        "ssh: Could not resolve hostname nohost.invalid: Name or service not known",
        "fatal: Could not read from remote repository.",
      ],
    ],
    [
      "a refused key",
      ["git@github.com: Permission denied (publickey).", ...advice],
      ["git@github.com: Permission denied (publickey).", "fatal: Could not read from remote repository."],
    ],
    [
      "an unknown host key",
      ["Host key verification failed.", ...advice],
      ["Host key verification failed.", "fatal: Could not read from remote repository."],
    ],
    [
      "ssh's noise and git's hints",
      [
        "Warning: Permanently added 'h' (ED25519) to the list of known hosts.",
        "hint: try again",
        "fatal: couldn't find remote ref refs/heads/nope",
      ],
      ["fatal: couldn't find remote ref refs/heads/nope"],
    ],
    [
      "the remote's own words",
      ["remote: Repository not found.", "fatal: repository 'https://h/x.git/' not found"],
      ["remote: Repository not found.", "fatal: repository 'https://h/x.git/' not found"],
    ],
    ["nothing recognised: the last three lines", ["one", "two", "three", "four"], ["two", "three", "four"]],
    ["CRLF and blank lines", ["\r\nfatal: bad\r\n\r\n"], ["fatal: bad"]],
    ["nothing at all", [""], []],
  ])("%s", (_name, stderr, expected) => {
    expect(informativeLines(stderr.join("\n"))).toEqual(expected);
  });

  it("keeps at most six lines", () => {
    const many = Array.from({ length: 10 }, (_, i) => `error: ${i}`).join("\n");
    expect(informativeLines(many)).toHaveLength(6);
  });
});

describe("redactUrl", () => {
  it.each([
    ["https://x-access-token:SECRET@github.com/acme/api.git", "https://[REDACTED]@github.com/acme/api.git"],
    ["https://TOKEN@github.com/acme/api.git", "https://[REDACTED]@github.com/acme/api.git"],
    ["ssh://deploy@host:22/x.git", "ssh://deploy@host:22/x.git"],
    ["ssh://deploy:pw@host:22/x.git", "ssh://[REDACTED]@host:22/x.git"],
    ["https://u:p@ss@host/x", "https://[REDACTED]@host/x"],
    [
      "fatal: unable to access 'https://u:SECRET@host/x.git/': Could not resolve host: host",
      "fatal: unable to access 'https://[REDACTED]@host/x.git/': Could not resolve host: host",
    ],
    ["two: http://a:b@one/ and HTTPS://c@two/", "two: http://[REDACTED]@one/ and HTTPS://[REDACTED]@two/"],
    ["git@github.com:acme/api.git", "git@github.com:acme/api.git"],
    ["https://host/path@not-user-info", "https://host/path@not-user-info"],
    ["no url here", "no url here"],
  ])("%s", (text, expected) => {
    expect(redactUrl(text)).toBe(expected);
  });
});

describe("ssh and http limits", () => {
  it("extends the caller's GIT_SSH_COMMAND instead of replacing it", () => {
    expect(sshCommand("ssh -i /keys/deploy -o IdentitiesOnly=yes", 120_000)).toBe(
      "ssh -i /keys/deploy -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=20 " +
        "-o ServerAliveInterval=15 -o ServerAliveCountMax=3",
    );
    expect(gitEnv({ GIT_SSH_COMMAND: "ssh -i /k" }, 120_000).GIT_SSH_COMMAND).toMatch(/^ssh -i \/k -o /);
  });

  it("uses plain ssh without one, and connects within the git deadline when it is short", () => {
    expect(sshCommand(undefined, 5_000)).toBe(
      "ssh -o BatchMode=yes -o ConnectTimeout=5 -o ServerAliveInterval=15 -o ServerAliveCountMax=3",
    );
    expect(sshCommand("  ", 500)).toMatch(/^ssh -o BatchMode=yes -o ConnectTimeout=1 /);
  });

  it("gives http(s) transfers a low-speed limit", () => {
    expect(networkConfig(120_000)).toEqual(["-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=30"]);
    expect(networkConfig(3_000)).toEqual(["-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=3"]);
  });
});
