// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are manifest text with ${VAR}s in it
import { describe, expect, it } from "vitest";
import { parseEnvFile } from "../../src/manifest/envfile.js";
import { interpolate } from "../../src/manifest/interpolate.js";
import { projectFromDir } from "../../src/manifest/names.js";

describe("interpolate", () => {
  const env = { USER: "ada", EMPTY: "" };
  it.each([
    ["plain", "plain", []],
    ["${USER}", "ada", []],
    ["a-${USER}-b", "a-ada-b", []],
    ["${MISSING:-x}", "x", []],
    ["${EMPTY:-x}", "x", []],
    ["${EMPTY-x}", "", []],
    ["${MISSING-x}", "x", []],
    ["${MISSING:-${USER}}", "ada", []],
    ["$$USER costs $$5", "$USER costs $5", []],
    ["$USER stays", "$USER stays", []],
    ["${MISSING}", "", ["environment variable MISSING is not set"]],
    ["${EMPTY:?needed}", "", ["environment variable EMPTY is not set: needed"]],
    ["${1BAD}", "", ['"${1BAD}" is not a variable reference']],
    ["${USER", "", ['"${" without its closing "}"']],
  ])("%s -> %s", (written, value, messages) => {
    const result = interpolate({ key: written }, env);
    expect(result.value).toEqual({ key: value });
    expect(result.problems).toEqual(
      messages.map((message) => ({ path: ["key"], message: expect.stringContaining(message) })),
    );
  });

  it("walks lists and maps, leaves keys and non-strings alone, and records values from the environment", () => {
    const result = interpolate({ "${USER}": [1, true, null, "${USER}", "$$"] }, env);
    expect(result.value).toEqual({ "${USER}": [1, true, null, "ada", "$"] });
    expect(result.fromEnvironment).toEqual([["${USER}", 3]]);
  });
});

describe("parseEnvFile", () => {
  it("reads KEY=VALUE lines, comments, export, quotes", () => {
    const text = [
      "# comment",
      "",
      "A=1",
      "export B=two words # a comment",
      "C='single # kept'",
      'D="double \\"quoted\\"\\nline"',
      "E=",
      "F=a=b",
      "  G = spaced  ",
    ].join("\n");
    expect(parseEnvFile(text)).toEqual({
      values: {
        A: "1",
        B: "two words",
        C: "single # kept",
        D: 'double "quoted"\nline',
        E: "",
        F: "a=b",
        G: "spaced",
      },
      errors: [],
    });
  });

  it("names bad lines by number only", () => {
    expect(parseEnvFile("OK=1\nno equals sign secret\n'Q=1\nR=\"open\n").errors).toEqual([
      "line 2: expected KEY=VALUE (quotes must be closed)",
      "line 3: expected KEY=VALUE (quotes must be closed)",
      "line 4: expected KEY=VALUE (quotes must be closed)",
    ]);
  });
});

describe("projectFromDir", () => {
  it.each([
    ["/srv/letzgo", "letzgo"],
    ["/srv/My App_2", "my-app_2"],
    ["/srv/a._b--c__d", "a-b--c__d"],
    ["/srv/..hidden..", "hidden"],
    ["/srv/日本", "deploy"],
    ["/", "deploy"],
  ])("%s -> %s", (dir, project) => {
    expect(projectFromDir(dir)).toBe(project);
  });
});
