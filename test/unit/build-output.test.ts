import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readBuildOutput } from "../../src/docker/build-output.js";
import { demultiplex } from "../../src/docker/engine.js";

function stream(lines: object[]): Readable {
  return Readable.from(lines.map((line) => `${JSON.stringify(line)}\r\n`));
}

describe("readBuildOutput", () => {
  it("passes every output line on and reports success with the image id", async () => {
    const seen: string[] = [];
    const outcome = await readBuildOutput(
      stream([
        { stream: "Step 1/2 : FROM busybox:latest\n" },
        { stream: " ---> 1234\n" },
        { aux: { ID: "sha256:abc" } },
        { stream: "Successfully built abc\n" },
      ]),
      (line) => seen.push(line),
    );
    expect(outcome).toEqual({ ok: true, imageId: "sha256:abc" });
    expect(seen).toEqual(["Step 1/2 : FROM busybox:latest", " ---> 1234", "Successfully built abc"]);
  });

  it("finds a failure reported inside the stream and names the failing step and its last output", async () => {
    const outcome = await readBuildOutput(
      stream([
        { stream: "Step 1/3 : FROM busybox:latest\n" },
        { stream: "Step 2/3 : RUN echo compiling && exit 3\n" },
        { stream: "compiling\n" },
        {
          errorDetail: {
            code: 3,
            message: "The command '/bin/sh -c echo compiling && exit 3' returned a non-zero code: 3",
          },
          error: "x",
        },
      ]),
      () => undefined,
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain("build failed at Step 2/3 : RUN echo compiling && exit 3");
    expect(outcome.message).toContain("returned a non-zero code: 3");
    expect(outcome.message).toContain("  | compiling");
  });
});

describe("demultiplex", () => {
  it("joins stdout and stderr frames", () => {
    const frame = (type: number, text: string) => {
      const body = Buffer.from(text);
      const header = Buffer.alloc(8);
      header[0] = type;
      header.writeUInt32BE(body.length, 4);
      return Buffer.concat([header, body]);
    };
    expect(demultiplex(Buffer.concat([frame(1, "out\n"), frame(2, "err\n")]))).toBe("out\nerr\n");
  });

  it("returns text that is not multiplexed as it is", () => {
    expect(demultiplex(Buffer.from("plain tty output\n"))).toBe("plain tty output\n");
  });
});
