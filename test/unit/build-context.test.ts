import type { Readable } from "node:stream";
import { extract, pack } from "tar-stream";
import { describe, expect, it } from "vitest";
import { contextTar } from "../../src/docker/build-context.js";
import { parseCatFileBatch } from "../../src/git/repo-cache.js";

type Entry = { name: string; type?: "directory" | "symlink"; content?: string; linkname?: string };

/** A tar as `git archive` writes one, owned by uid 1000, and a source whose success is `done`. */
function source(entries: Entry[], done: Promise<void> = Promise.resolve()) {
  const tar = pack();
  for (const { name, type, content, linkname } of entries) {
    const header = {
      name,
      uid: 1000,
      gid: 1000,
      ...(type ? { type } : {}),
      ...(linkname ? { linkname } : {}),
    };
    tar.entry(header, content ?? "");
  }
  tar.finalize();
  return { tar: tar as unknown as Readable, done };
}

/** The entries of a tar stream: `name uid` each, with a file's content or a link's target. */
async function entriesOf(tar: Readable): Promise<string[]> {
  const seen: string[] = [];
  const entries = extract();
  const finished = new Promise<void>((resolve, reject) => {
    entries.on("finish", () => resolve());
    entries.on("error", reject);
    tar.on("error", reject);
  });
  entries.on("entry", (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
    body.on("end", () => {
      const text = Buffer.concat(chunks).toString();
      const detail = header.type === "symlink" ? ` -> ${header.linkname}` : text ? ` ${text}` : "";
      seen.push(`${header.name} uid=${header.uid}${detail}`);
      next();
    });
  });
  tar.pipe(entries);
  await finished;
  return seen;
}

const repoTree: Entry[] = [
  {
    name: ".dockerignore",
    content: "node_modules\n# a comment\n*.log\n!keep.log\nsecrets/\n!secrets/public.txt\nDockerfile\n",
  },
  { name: "Dockerfile", content: "FROM busybox" },
  { name: "app.js", content: "app" },
  { name: "debug.log", content: "noise" },
  { name: "keep.log", content: "kept" },
  { name: "link", type: "symlink", linkname: "app.js" },
  { name: "node_modules/", type: "directory" },
  { name: "node_modules/x.js", content: "dependency" },
  { name: "secrets/", type: "directory" },
  { name: "secrets/key", content: "private" },
  { name: "secrets/public.txt", content: "public" },
];

describe("contextTar", () => {
  it("leaves out what .dockerignore ignores (its ! exceptions kept), always sends the Dockerfile and .dockerignore, owned by root", async () => {
    const tar = contextTar(source(repoTree), {
      dockerignore: repoTree[0]?.content ?? null,
      dockerfile: "Dockerfile",
    });
    expect(await entriesOf(tar)).toEqual([
      `.dockerignore uid=0 ${repoTree[0]?.content}`,
      "Dockerfile uid=0 FROM busybox",
      "app.js uid=0 app",
      "keep.log uid=0 kept",
      "link uid=0 -> app.js",
      "secrets/public.txt uid=0 public",
    ]);
  });

  it("sends every entry when there is no .dockerignore, and the extra file last", async () => {
    const tar = contextTar(
      source([
        { name: "Dockerfile", content: "FROM busybox" },
        { name: "a/", type: "directory" },
      ]),
      {
        dockerignore: null,
        dockerfile: "Dockerfile",
        extra: { name: ".deploy.Dockerfile", content: "FROM busybox\nLABEL a=b" },
      },
    );
    expect(await entriesOf(tar)).toEqual([
      "Dockerfile uid=0 FROM busybox",
      "a/ uid=0",
      ".deploy.Dockerfile uid=0 FROM busybox\nLABEL a=b",
    ]);
  });

  it("fails with the source's error when the source fails, even after a whole-looking tar", async () => {
    const failure = new Error("archiving tree abc failed: fatal: not a tree object");
    const tar = contextTar(
      source([{ name: "Dockerfile", content: "FROM busybox" }], Promise.reject(failure)),
      {
        dockerignore: null,
        dockerfile: "Dockerfile",
      },
    );
    await expect(entriesOf(tar)).rejects.toBe(failure);
  });
});

describe("parseCatFileBatch", () => {
  it("reads each asked object's bytes in order: null for a missing one and for one that is not a file", () => {
    const tree = Buffer.from([1, 2, 10, 3]);
    const output = Buffer.concat([
      Buffer.from("aaaa blob 6\nh\u00e9llo\n"), // é is two bytes
      Buffer.from("abc123:.dockerignore missing\n"),
      Buffer.from("bbbb tree 4\n"),
      tree,
      Buffer.from("\ncccc blob 0\n\n"),
    ]);
    const objects = parseCatFileBatch(output);
    expect(objects.map((object) => object?.toString() ?? null)).toEqual(["h\u00e9llo", null, null, ""]);
  });
});

describe("contextTar whose reader goes away", () => {
  it("adds nothing more and stops its source once the output is destroyed mid-stream (an interrupted build)", async () => {
    const files = Array.from({ length: 200 }, (_, i) => ({ name: `f${i}.txt`, content: "x".repeat(2000) }));
    const input = source(files);
    const tar = contextTar(input, { dockerignore: null, dockerfile: "Dockerfile" });
    await new Promise<void>((resolve) => tar.once("data", () => resolve()));
    tar.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(input.tar.destroyed).toBe(true);
  });
});
