import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { LineOf } from "./problems.js";
import type { ManifestProblem } from "./types.js";

export interface YamlRead {
  /** The document as plain data (null when empty); undefined when it has syntax errors. */
  value: unknown;
  lineOf: LineOf;
  problems: ManifestProblem[];
}

/**
 * Parses YAML keeping the node tree next to the plain value, so that any problem found later on the plain value
 * can be given the line of the node at its path. Merge keys (`<<: *base`) work as in Compose files.
 */
export function readYaml(text: string): YamlRead {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
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

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => {
      const line = lineAt(error.pos[0]);
      const message = `YAML syntax: ${firstLine(error.message)}`;
      return line === undefined ? { path: "", message } : { path: "", line, message };
    });
    return { value: undefined, lineOf, problems };
  }
  return { value: doc.toJS({ maxAliasCount: 1_000 }) ?? null, lineOf, problems: [] };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === "string" ? key : undefined;
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
