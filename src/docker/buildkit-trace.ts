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
  /** The last lines each step printed. */
  readonly #recent = new Map<string, string[]>();
  #failedDigest: string | undefined;
  /** The step that failed, else the last one that started: where a build failure happened. */
  step: string | undefined;

  constructor(private readonly keepLines = 12) {}

  /**
   * The failed step's last output lines, or undefined when no step failed. Steps run in parallel, so the
   * stream's last lines may well be another step's.
   */
  failedOutput(): string[] | undefined {
    return this.#failedDigest === undefined ? undefined : (this.#recent.get(this.#failedDigest) ?? []);
  }

  /** The lines one trace message adds. */
  read(base64: string): string[] {
    const message = StatusResponse.toObject(StatusResponse.decode(Buffer.from(base64, "base64"))) as {
      vertexes?: Vertex[];
      logs?: VertexLog[];
    };
    const vertexes = message.vertexes ?? [];
    // A message may start a step, carry its output and report its error: said in that order.
    return [
      ...vertexes.flatMap((vertex) => this.#startLines(vertex)),
      ...(message.logs ?? []).flatMap((log) => this.#outputLines(log.vertex, log.msg)),
      ...vertexes.flatMap((vertex) => this.#errorLines(vertex)),
    ];
  }

  /** Output still held back for want of a newline, once the stream has ended. */
  flush(): string[] {
    return [...this.#partial.keys()].flatMap((digest) => this.#flushVertex(digest));
  }

  #startLines(vertex: Vertex): string[] {
    const name = vertex.name || this.#names.get(vertex.digest) || vertex.digest;
    this.#names.set(vertex.digest, name);
    if (this.#announced.has(vertex.digest) || !(vertex.started || vertex.cached)) return [];
    this.#announced.add(vertex.digest);
    if (!vertex.cached) this.step = name;
    return [vertex.cached ? `${name} (cached)` : name];
  }

  #errorLines(vertex: Vertex): string[] {
    if (!vertex.error || this.#failed.has(vertex.digest)) return [];
    this.#failed.add(vertex.digest);
    this.#failedDigest ??= vertex.digest;
    this.step = this.#names.get(this.#failedDigest);
    return [...this.#flushVertex(vertex.digest), `ERROR ${this.#names.get(vertex.digest)}: ${vertex.error}`];
  }

  #outputLines(vertex: string, msg: Uint8Array): string[] {
    const text = (this.#partial.get(vertex) ?? "") + Buffer.from(msg).toString("utf8");
    const parts = text.split(/\r?\n/);
    this.#partial.set(vertex, parts.pop() ?? "");
    return this.#remember(
      vertex,
      parts.map((line) => line.trimEnd()).filter((line) => line !== ""),
    );
  }

  #flushVertex(digest: string): string[] {
    const rest = this.#partial.get(digest)?.trimEnd();
    this.#partial.delete(digest);
    return this.#remember(digest, rest ? [rest] : []);
  }

  #remember(digest: string, lines: string[]): string[] {
    const recent = [...(this.#recent.get(digest) ?? []), ...lines];
    this.#recent.set(digest, recent.slice(-this.keepLines));
    return lines;
  }
}
