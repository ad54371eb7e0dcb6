import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Strips the common indentation and the first newline of a template literal, so line 1 is its first line. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  // Cooked strings, so that `\${VAR}` in a test reads as the manifest's `${VAR}`.
  const text = strings.reduce(
    (all, part, i) => all + part + (i < values.length ? String(values[i]) : ""),
    "",
  );
  const body = text.replace(/^\n/, "");
  const indents = body
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => /^ */.exec(line)?.[0].length ?? 0);
  const common = Math.min(...indents);
  return body
    .split("\n")
    .map((line) => line.slice(common))
    .join("\n");
}

/** A fresh folder with `files` (relative path -> content; a trailing "/" makes a folder) written into it. */
export async function tempDir(files: Record<string, string> = {}, prefix = "manifest-"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  created.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(dir, name);
    if (name.endsWith("/")) {
      await mkdir(target, { recursive: true });
    } else {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    }
  }
  return dir;
}

const created: string[] = [];

/** Removes every folder tempDir made; call it from afterAll. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
