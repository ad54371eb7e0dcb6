import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from "yaml";
import type { LineOf } from "./problems.js";
import type { ManifestProblem } from "./types.js";

export interface YamlRead {
  /** The document as plain data (null when empty); undefined when it has syntax errors. */
  value: unknown;
  lineOf: LineOf;
  problems: ManifestProblem[];
}

/** A manifest is a hand-written file of a few kilobytes; past this it is the wrong file, or an attack. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Alias expansions allowed in one document (the yaml library's own guard against "billion laughs"). */
const MAX_ALIAS_COUNT = 1_000;

/**
 * Parses YAML keeping the node tree next to the plain value, so that any problem found later on the plain value
 * can be given the line of the node at its path. Merge keys (`<<: *base`) work as in Compose files.
 */
export function readYaml(text: string): YamlRead {
  if (Buffer.byteLength(text, "utf8") > MAX_MANIFEST_BYTES) {
    return { value: undefined, lineOf: () => undefined, problems: [{ path: "", message: tooLarge() }] };
  }
  const lineCounter = new LineCounter();
  // The library's own duplicate-key check compares each key with every earlier one (a 600 kB map took 16 s):
  // duplicateKeys below does it with a set.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: false });
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;

  const lineOf: LineOf = (path) => {
    let node: unknown = doc.contents;
    let line: number | undefined;
    for (const step of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(step));
        if (!pair) break;
        line = lineAt((pair.key as Node | null)?.range?.[0]) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof step === "number") {
        const item = node.items[step] as Node | undefined;
        if (!item) break;
        line = lineAt(item.range?.[0]) ?? line;
        node = item;
      } else {
        break;
      }
    }
    return line;
  };

  const errors = [
    ...doc.errors.map((error) => ({ offset: error.pos[0], message: firstLine(error.message) })),
    ...duplicateKeys(doc),
  ];
  if (errors.length > 0) {
    const problems = errors.map(({ offset, message }) =>
      documentProblem(lineAt(offset), `YAML syntax: ${message}`),
    );
    return { value: undefined, lineOf, problems };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? null, lineOf, problems: [] };
  } catch {
    // The library throws (a ReferenceError) when aliases expand past the cap: a manifest problem, not a crash.
    const message = `YAML aliases expand past the limit of ${MAX_ALIAS_COUNT} (anchors that multiply each other, as in an alias bomb)`;
    return { value: undefined, lineOf, problems: [documentProblem(undefined, message)] };
  }
}

export function tooLarge(): string {
  return `the manifest is larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB: is it the right file?`;
}

function documentProblem(line: number | undefined, message: string): ManifestProblem {
  return line === undefined ? { path: "", message } : { path: "", line, message };
}

/** Offsets of keys that repeat an earlier key of the same map, as YAML forbids: one set per map. */
function duplicateKeys(doc: Document): { offset: number | undefined; message: string }[] {
  const found: { offset: number | undefined; message: string }[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key)) continue;
        if (seen.has(key.value)) found.push({ offset: key.range?.[0], message: "Map keys must be unique" });
        seen.add(key.value);
      }
    },
  });
  return found;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === "string" ? key : undefined;
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
