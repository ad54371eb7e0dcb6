import { describe, expect, it } from "vitest";
import { unmaskedValueWarnings } from "../../src/commands/mask-warnings.js";
import { webhookOrigin } from "../../src/report/notify.js";
import {
  createRedactor,
  maskedPieces,
  redactStatus,
  redactSummary,
  tooShortToMask,
} from "../../src/report/redact.js";
import { cleanText, formatDuration, toLines } from "../../src/report/text.js";
import { Secret } from "../../src/secret.js";
import { redactUrl } from "../../src/url-redact.js";
import { entry, status, summary, target } from "./report-fixtures.js";
import { manifestFixture, serviceFixture } from "./support/service-fixture.js";

const PEM = [
  "-----BEGIN PRIVATE KEY-----",
  "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
  "  BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj  ",
  "-----END PRIVATE KEY-----",
].join("\n");

describe("createRedactor", () => {
  it.each([
    [["hunter2"], "password is hunter2, again hunter2", "password is [REDACTED], again [REDACTED]"],
    [["abcd"], "four characters abcd count", "four characters [REDACTED] count"],
    [["token", "token-extended"], "x=token-extended y=token", "x=[REDACTED] y=[REDACTED]"],
    [["a.b*c"], "regex chars a.b*c and axbbc", "regex chars [REDACTED] and axbbc"],
    [[""], "empty values are ignored", "empty values are ignored"],
    [[], "nothing to hide", "nothing to hide"],
    // Too short to mask safely: "1" is in every time stamp, "e" in every word.
    [["1", "e", "abc"], "run 20250101T000000 succeeded: abc", "run 20250101T000000 succeeded: abc"],
    // Each line of a multi-line value, trimmed, wherever it shows.
    [[PEM], "echo: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "echo: [REDACTED]"],
    [[PEM], "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", "[REDACTED]"],
    [[PEM], "-----END PRIVATE KEY-----", "[REDACTED]"],
    [
      ["line-one-secret\r\nline-two-secret"],
      "a line-one-secret b line-two-secret",
      "a [REDACTED] b [REDACTED]",
    ],
    [["old-mac-one\rold-mac-two"], "old-mac-two", "[REDACTED]"],
    [["whole value\n\nx\n"], "whole value and x", "[REDACTED] and x"],
    // URL user info, whether or not it is a known secret.
    [
      [],
      "fatal: https://x-access-token:ghs_abc@github.com/o/r.git",
      "fatal: https://[REDACTED]@github.com/o/r.git",
    ],
    [["ghs_abc1"], "https://bot:ghs_abc1@h/x", "https://[REDACTED]@h/x"],
  ])("%j on %j", (secrets, line, expected) => {
    expect(createRedactor(secrets)(line)).toBe(expected);
  });
});

describe("redactUrl", () => {
  it.each([
    ["https://user:pass@git.example.com/r.git", "https://[REDACTED]@git.example.com/r.git"],
    ["https://ghp_token@github.com/o/r", "https://[REDACTED]@github.com/o/r"],
    ["'http://u:p@ss@host:8080/x'", "'http://[REDACTED]@host:8080/x'"],
    ["a HTTPS://U:P@H and ftp://me:pw@files/", "a HTTPS://[REDACTED]@H and ftp://[REDACTED]@files/"],
    ["ssh://git:pw@host/r", "ssh://[REDACTED]@host/r"],
    // An ssh user is an account, not a credential; scp-like addresses and e-mail carry none.
    ["ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"],
    ["git@github.com:o/r.git", "git@github.com:o/r.git"],
    [
      "see https://docs.example.com/x or mail ops@example.com",
      "see https://docs.example.com/x or mail ops@example.com",
    ],
    ["https://host/path?q=a@b", "https://host/path?q=a@b"],
  ])("%j", (text, expected) => {
    expect(redactUrl(text)).toBe(expected);
  });
});

describe("pieces to mask", () => {
  it.each([
    ["s3cret", ["s3cret"], false],
    ["  padded  ", ["padded"], false],
    ["1", [], true],
    ["abc", [], true],
    ["", [], false],
    ["line-one\r\nline-two\rline-3333\n", ["line-one", "line-two", "line-3333"], false],
    ["long enough\nno", ["long enough"], true],
  ])("%j", (value, pieces, tooShort) => {
    expect(maskedPieces(value)).toEqual(pieces);
    expect(tooShortToMask(value)).toBe(tooShort);
  });
});

describe("structured fields", () => {
  const redact = createRedactor(["1", "e", "succ", "main", "local"]);
  const t = target("web");

  it("are never masked in a status record, only its reason and error", () => {
    const record = status(t, {
      run_id: "20250101T101010Z-1a2b",
      state: "succeeded",
      commit: "1111111111111111111111111111111111111111",
      image: "shop/web:111111111111",
      started_at: "2025-01-01T10:10:10.111Z",
      finished_at: "2025-01-01T10:10:11.111Z",
      duration_ms: 1000,
      reason: "succ on main at local",
      error: { phase: "health", message: "local: https://u:p@h/ main" },
    });
    expect(redactStatus(record, redact)).toEqual({
      ...record,
      reason: "[REDACTED] on [REDACTED] at [REDACTED]",
      error: { phase: "health", message: "[REDACTED]: https://[REDACTED]@h/ [REDACTED]" },
    });
  });

  it("are never masked in a run summary, only each service's reason and error", () => {
    const run = summary([
      entry("web", { reason: "main is local" }),
      entry("api", { state: "failed", error: { phase: "build", message: "main" } }),
    ]);
    const clean = redactSummary(run, redact);
    expect(clean).toEqual({
      ...run,
      services: [
        { ...run.services[0], reason: "[REDACTED] is [REDACTED]" },
        { ...run.services[1], error: { phase: "build", message: "[REDACTED]" } },
      ],
    });
  });
});

describe("values too short to mask", () => {
  it("are named by key in validate's warnings, never by value", () => {
    const manifest = manifestFixture([
      serviceFixture({
        name: "web",
        environment: { DEBUG: new Secret("1"), TOKEN: new Secret("long-enough") },
        buildArgs: { MODE: new Secret("e"), PEM: new Secret(PEM) },
      }),
      serviceFixture({ name: "api", environment: { KEY: new Secret("x\nlong second line") } }),
    ]);
    const warnings = unmaskedValueWarnings(manifest);
    expect(warnings.map((warning) => warning.split(":")[0])).toEqual([
      "services.web.environment.DEBUG",
      "services.web.build_args.MODE",
      "services.api.environment.KEY",
    ]);
    expect(warnings[0]).toContain("shorter than 4 characters is not masked");
  });
});

describe("webhookOrigin", () => {
  it.each([
    ["https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com"],
    ["http://user:pw@127.0.0.1:8080/hook?token=t", "http://127.0.0.1:8080"],
    ["not a url", "the webhook"],
  ])("%j → %j", (url, expected) => {
    expect(webhookOrigin(url)).toBe(expected);
  });
});

describe("text", () => {
  it("strips colour codes, CRLF and carriage-return redraws; drops blank lines", () => {
    expect(toLines("\u001b[32mok\u001b[0m\r\n\r\n 10%\r 50%\r100%\nlast")).toEqual(["ok", "100%", "last"]);
    expect(cleanText("a\u001b[1mb\u001b[0m\r\nc")).toBe("ab\nc");
  });

  it("formats durations", () => {
    expect([null, 420, 4200, 12_345, 125_000].map(formatDuration)).toEqual([
      "-",
      "0.4s",
      "4.2s",
      "12.3s",
      "2m05s",
    ]);
  });
});
