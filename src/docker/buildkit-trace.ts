import protobuf from "protobufjs/light.js";

/**
 * The part of BuildKit's `moby.buildkit.v1.StatusResponse` a deploy log needs: the steps (vertexes) with
 * their state, and their output (logs). Unknown fields (progress counters, warnings) are skipped by the decoder.
 */
const StatusResponse = protobuf.Root.fromJSON({
  nested: {
    StatusResponse: {
      fields: {
        vertexes: { rule: "repeated", type: "Vertex", id: 1 },
        logs: { rule: "repeated", type: "VertexLog", id: 3 },
      },
    },
    Vertex: {
      fields: {
        digest: { type: "string", id: 1 },
        name: { type: "string", id: 3 },
        cached: { type: "bool", id: 4 },
        started: { type: "Timestamp", id: 5 },
        completed: { type: "Timestamp", id: 6 },
        error: { type: "string", id: 7 },
      },
    },
    VertexLog: {
      fields: {
        vertex: { type: "string", id: 1 },
        msg: { type: "bytes", id: 4 },
      },
    },
    Timestamp: { fields: { seconds: { type: "int64", id: 1 }, nanos: { type: "int32", id: 2 } } },
  },
}).lookupType("StatusResponse");

interface Vertex {
  digest: string;
  name?: string;
  cached?: boolean;
  started?: object;
  completed?: object;
  error?: string;
}

interface VertexLog {
  vertex: string;
  msg: Uint8Array;
}

/**
 * Turns the engine's BuildKit trace messages (`{"id":"moby.buildkit.trace","aux":"<base64 protobuf>"}`) into
 * the lines `docker build --progress=plain` would show: each step's name once when it starts (or is found
 * cached), its output line by line, and its error. Every message repeats the vertexes it updates, so the
 * state here keeps what was already said.
 */
export class BuildKitTrace {
  readonly #announced = new Set<string>();
  readonly #failed = new Set<string>();
  readonly #names = new Map<string, string>();
  /** Output not yet ended by a newline, per vertex: BuildKit cuts output at arbitrary bytes. */
  readonly #partial = new Map<string, string>();
  /** The step that failed, else the last one that started: where a build failure happened. */
  step: string | undefined;

  /** The lines one trace message adds. */
  read(base64: string): string[] {
    const message = StatusResponse.toObject(StatusResponse.decode(Buffer.from(base64, "base64"))) as {
      vertexes?: Vertex[];
      logs?: VertexLog[];
    };
    const lines: string[] = [];
    for (const vertex of message.vertexes ?? []) lines.push(...this.#vertexLines(vertex));
    for (const log of message.logs ?? []) lines.push(...this.#outputLines(log.vertex, log.msg));
    return lines;
  }

  /** Output still held back for want of a newline, once the stream has ended. */
  flush(): string[] {
    const rest = [...this.#partial.values()].filter((text) => text.trim() !== "");
    this.#partial.clear();
    return rest.map((text) => text.trimEnd());
  }

  #vertexLines(vertex: Vertex): string[] {
    const name = vertex.name ?? this.#names.get(vertex.digest) ?? vertex.digest;
    this.#names.set(vertex.digest, name);
    const lines: string[] = [];
    if (!this.#announced.has(vertex.digest) && (vertex.started || vertex.cached)) {
      this.#announced.add(vertex.digest);
      lines.push(vertex.cached ? `${name} (cached)` : name);
      if (!vertex.cached) this.step = name;
    }
    if (vertex.error && !this.#failed.has(vertex.digest)) {
      this.#failed.add(vertex.digest);
      this.step = name;
      lines.push(...this.#flushVertex(vertex.digest), `ERROR ${name}: ${vertex.error}`);
    }
    return lines;
  }

  #outputLines(vertex: string, msg: Uint8Array): string[] {
    const text = (this.#partial.get(vertex) ?? "") + Buffer.from(msg).toString("utf8");
    const parts = text.split(/\r?\n/);
    this.#partial.set(vertex, parts.pop() ?? "");
    return parts.map((line) => line.trimEnd()).filter((line) => line !== "");
  }

  #flushVertex(digest: string): string[] {
    const rest = this.#partial.get(digest)?.trimEnd();
    this.#partial.delete(digest);
    return rest ? [rest] : [];
  }
}
