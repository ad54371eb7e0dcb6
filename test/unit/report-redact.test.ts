import { describe, expect, it } from "vitest";
import { createRedactor, redactDeep } from "../../src/report/redact.js";
import { cleanText, formatDuration, toLines } from "../../src/report/text.js";
import { Secret } from "../../src/secret.js";

describe("createRedactor", () => {
  it.each([
    [["hunter2"], "password is hunter2, again hunter2", "password is [REDACTED], again [REDACTED]"],
    [["abc"], "short abc values count too", "short [REDACTED] values count too"],
    [["token", "token-extended"], "x=token-extended y=token", "x=[REDACTED] y=[REDACTED]"],
    [["a.b*c"], "regex chars a.b*c and axbbc", "regex chars [REDACTED] and axbbc"],
    [[""], "empty values are ignored", "empty values are ignored"],
    [[], "nothing to hide", "nothing to hide"],
  ])("%j on %j", (secrets, line, expected) => {
    expect(createRedactor(secrets)(line)).toBe(expected);
  });

  it("redacts every string of a record, including Secret-like values", () => {
    const redact = createRedactor(["s3cret"]);
    const value = { a: "s3cret!", b: [1, "x s3cret"], c: null, d: { e: "s3cret" }, f: new Secret("s3cret") };
    expect(redactDeep(value, redact)).toEqual({
      a: "[REDACTED]!",
      b: [1, "x [REDACTED]"],
      c: null,
      d: { e: "[REDACTED]" },
      f: "[REDACTED]",
    });
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
