import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ServiceSummary } from "../../src/events.js";
import { createRedactor } from "../../src/report/redact.js";
import { appendStepSummary, renderStepSummary } from "../../src/report/step-summary.js";
import { entry, summary, target, tempDir } from "./report-fixtures.js";

const options = { project: "shop", logsDir: "/srv/shop/logs", cwd: "/srv/shop" };
const HEADER = "| Service | State | Phase | Error or reason | Commit | Duration | Log |";

/** The table's data rows, as cells. */
function rows(markdown: string): string[][] {
  const lines = markdown.split("\n").filter((line) => line.startsWith("| "));
  expect(lines[0]).toBe(HEADER);
  return lines.slice(2).map((line) =>
    line
      .slice(2, -2)
      .split(/ (?<!\\)\| /)
      .map((cell) => cell.trim()),
  );
}

const failed = entry("api", {
  state: "failed",
  commit: "fedcba9876543210fedcba9876543210fedcba98",
  duration_ms: 61_000,
  error: { phase: "build", message: "step 3/5: RUN make exited 2\nmore output" },
});
const rolledBack = entry("web", {
  state: "rolled_back",
  error: { phase: "health", message: "GET /health answered 503 for 20s" },
});

describe("renderStepSummary", () => {
  const cases: { name: string; services: ServiceSummary[]; expected: string[][] }[] = [
    {
      name: "a success: commit, duration, reason and log path",
      services: [entry("web", { reason: "replaced abc" })],
      expected: [["web", "succeeded", "", "replaced abc", "`0123456789ab`", "4.2s", "`logs/web.log`"]],
    },
    {
      name: "failures first, each with its phase and only the error's first line",
      services: [entry("db", { state: "unchanged" }), entry("ui", { state: "skipped" }), rolledBack, failed],
      expected: [
        [
          "web",
          "rolled\\_back",
          "health",
          "GET /health answered 503 for 20s",
          "`0123456789ab`",
          "4.2s",
          "`logs/web.log`",
        ],
        [
          "api",
          "failed",
          "build",
          "step 3/5: RUN make exited 2",
          "`fedcba987654`",
          "1m01s",
          "`logs/api.log`",
        ],
        ["ui", "skipped", "", "", "`0123456789ab`", "4.2s", "`logs/ui.log`"],
        ["db", "unchanged", "", "", "`0123456789ab`", "4.2s", "`logs/db.log`"],
      ],
    },
    {
      name: "no commit or duration yet: a dash",
      services: [
        entry("web", {
          state: "failed",
          commit: null,
          duration_ms: null,
          error: { phase: "git", message: "no such branch" },
        }),
      ],
      expected: [["web", "failed", "git", "no such branch", "-", "-", "`logs/web.log`"]],
    },
    {
      name: "text that Markdown would read as markup or a cell separator is escaped",
      services: [
        entry("web", {
          state: "failed",
          error: { phase: "deploy", message: "a | b <script> *x* `y` [l](u) ~z~ \\ _u_" },
        }),
      ],
      expected: [
        [
          "web",
          "failed",
          "deploy",
          "a \\| b &lt;script&gt; \\*x\\* \\`y\\` \\[l\\](u) \\~z\\~ \\\\ \\_u\\_",
          "`0123456789ab`",
          "4.2s",
          "`logs/web.log`",
        ],
      ],
    },
  ];
  for (const { name, services, expected } of cases) {
    it(name, () => {
      expect(rows(renderStepSummary(summary(services), options))).toEqual(expected);
    });
  }

  it("masks secret values, even ones the escaping would change", () => {
    const secret = "s3cr_t|*x*";
    const leaky = entry("web", {
      state: "failed",
      reason: `reason ${secret}`,
      error: { phase: "build", message: `RUN echo ${secret} failed` },
    });
    const markdown = renderStepSummary(summary([leaky]), { ...options, redact: createRedactor([secret]) });
    expect(rows(markdown)[0]?.[3]).toBe("RUN echo \\[REDACTED\\] failed");
    expect(markdown).not.toContain("s3cr");
  });

  it("names a service on several hosts by its file key", () => {
    const services = [entry("web", { host: "a" }), entry("web", { host: "b", state: "failed" })];
    const targets = [target("web", "a", "web@a"), target("web", "b", "web@b")];
    const markdown = renderStepSummary(summary(services), { ...options, targets });
    expect(rows(markdown).map((row) => [row[0], row[6]])).toEqual([
      ["web@b", "`logs/web@b.log`"],
      ["web@a", "`logs/web@a.log`"],
    ]);
  });

  it("shows a logs folder outside the working folder by its absolute path", () => {
    const markdown = renderStepSummary(summary([entry("web")]), { ...options, cwd: "/home/runner/work" });
    expect(rows(markdown)[0]?.[6]).toBe("`/srv/shop/logs/web.log`");
  });

  it("heads the table with the project, the outcome and the counts, and ends with the run id and exit code", () => {
    const bad = renderStepSummary(summary([failed, entry("web")]), options);
    expect(bad.split("\n")[0]).toBe("### ❌ deploy shop: 2 services: 1 succeeded, 1 failed (12.3s)");
    expect(bad).toContain("Run `run-1`, exit code 1.");
    const good = renderStepSummary(summary([entry("web")]), options);
    expect(good.split("\n")[0]).toMatch(/^### ✅ deploy shop: 1 service: 1 succeeded/);
    // Ends with a blank line, so that the next step's summary starts a new block.
    expect(good.endsWith("\n\n")).toBe(true);
  });
});

describe("appendStepSummary", () => {
  it("appends to what earlier steps wrote, and creates the file when missing", async () => {
    const temp = await tempDir();
    try {
      const file = join(temp.dir, "step-summary.md");
      await writeFile(file, "# earlier step\n\n");
      await appendStepSummary(file, summary([entry("web")]), options);
      const text = await readFile(file, "utf8");
      expect(text.startsWith("# earlier step\n\n### ✅ deploy shop")).toBe(true);
      const fresh = join(temp.dir, "new.md");
      await appendStepSummary(fresh, summary([entry("web")]), options);
      expect((await stat(fresh)).mode & 0o077).toBe(0);
    } finally {
      await temp.cleanup();
    }
  });
});
