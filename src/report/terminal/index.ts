import { createJsonRenderer } from "./json.js";
import { createPlainRenderer } from "./plain.js";
import { createQuietRenderer } from "./quiet.js";
import { createTreeRenderer } from "./tree.js";
import type { RendererOptions, TerminalRenderer } from "./types.js";

export type OutputMode = "tree" | "plain" | "quiet" | "json";

export function createRenderer(mode: OutputMode, options: RendererOptions): TerminalRenderer {
  switch (mode) {
    case "tree":
      return createTreeRenderer(options);
    case "plain":
      return createPlainRenderer(options);
    case "quiet":
      return createQuietRenderer(options);
    case "json":
      return createJsonRenderer(options);
  }
}

export type { RendererOptions, TerminalRenderer } from "./types.js";
