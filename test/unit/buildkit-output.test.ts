import { createReadStream } from "node:fs";
import { describe, expect, it } from "vitest";
import { readBuildOutput } from "../../src/docker/build-output.js";

/** A build stream recorded from a real engine (dockerd 20.10, BuildKit through POST /build?version=2). */
async function replay(name: string) {
  const lines: string[] = [];
  const outcome = await readBuildOutput(
    createReadStream(new URL(`fixtures/${name}.jsonl`, import.meta.url)),
    (line) => lines.push(line),
  );
  return { outcome, lines };
}

describe("readBuildOutput on BuildKit's stream", () => {
  it("decodes the trace into step lines and output, with the image id", async () => {
    const { outcome, lines } = await replay("buildkit-built");
    expect(outcome).toEqual({
      ok: true,
      imageId: "sha256:266d7d83c28d6be7d18e140024a03ce8d8af68533a3326870757a403f5949b33",
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        "[2/3] COPY a /a",
        '[3/3] RUN echo "compiling the thing" && echo "second line"',
        "compiling the thing",
        "second line",
        "exporting to image",
      ]),
    );
    // A step is named once, though each trace message repeats the steps it updates.
    expect(lines.filter((line) => line === "[2/3] COPY a /a")).toHaveLength(1);
    // The step's output follows the step.
    expect(lines.indexOf("compiling the thing")).toBeGreaterThan(lines.indexOf("[2/3] COPY a /a"));
  });

  it("marks steps taken from the cache", async () => {
    const { outcome, lines } = await replay("buildkit-cached");
    expect(outcome.ok).toBe(true);
    expect(lines).toContain('[3/3] RUN echo "compiling the thing" && echo "second line" (cached)');
    expect(lines).not.toContain("compiling the thing");
  });

  it("names the failing step, the engine's error and the step's last output", async () => {
    const { outcome } = await replay("buildkit-failed-run");
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toMatch(
      /^build failed at \[3\/3\] RUN echo "compiling the thing" .*: executor failed running .*exit code: 3\n/,
    );
    // The failing step's own output, not the lines of the steps before it.
    expect(outcome.message.split("\n").slice(1)).toEqual(["  | compiling the thing", "  | second line"]);
  });
});
