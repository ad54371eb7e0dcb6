import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { splitReference } from "../../src/docker/engine.js";
import { readPullOutput } from "../../src/docker/pull-output.js";

const stream = (...messages: object[]) =>
  Readable.from(messages.map((message) => `${JSON.stringify(message)}\r\n`).join(""));

describe("readPullOutput", () => {
  it("keeps what was pulled and how it ended, not the progress of each layer", async () => {
    const lines: string[] = [];
    const outcome = await readPullOutput(
      stream(
        { status: "Pulling from library/redis", id: "7" },
        { status: "Pulling fs layer", progressDetail: {}, id: "a1" },
        { status: "Downloading", progressDetail: { current: 10, total: 99 }, progress: "[=>  ]", id: "a1" },
        { status: "Extracting", progressDetail: { current: 99, total: 99 }, id: "a1" },
        { status: "Pull complete", progressDetail: {}, id: "a1" },
        { status: "Already exists", progressDetail: {}, id: "b2" },
        { status: "Digest: sha256:abc" },
        { status: "Status: Downloaded newer image for redis:7" },
      ),
      (line) => lines.push(line),
    );
    expect(outcome).toEqual({ ok: true });
    expect(lines).toEqual([
      "Pulling from library/redis",
      "a1: Pull complete",
      "b2: Already exists",
      "Digest: sha256:abc",
      "Status: Downloaded newer image for redis:7",
    ]);
  });

  it("fails on an error line inside a 200 answer", async () => {
    const outcome = await readPullOutput(
      stream(
        { status: "Pulling from acme/api", id: "1" },
        { errorDetail: { message: "manifest unknown" }, error: "manifest unknown" },
      ),
      () => undefined,
    );
    expect(outcome).toEqual({ ok: false, message: "manifest unknown" });
  });
});

describe("splitReference", () => {
  it.each([
    ["redis", { repository: "redis", tag: "latest" }],
    ["redis:7", { repository: "redis", tag: "7" }],
    [
      "registry.example.com:5000/acme/api",
      { repository: "registry.example.com:5000/acme/api", tag: "latest" },
    ],
    [
      "registry.example.com:5000/acme/api:1.2",
      { repository: "registry.example.com:5000/acme/api", tag: "1.2" },
    ],
    ["redis@sha256:abcd", { repository: "redis", tag: "sha256:abcd" }],
  ])("%s", (reference, expected) => {
    expect(splitReference(reference)).toEqual(expected);
  });
});
