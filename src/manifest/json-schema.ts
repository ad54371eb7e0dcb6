import * as z from "zod";
import { ManifestSchema } from "./schema.js";

/**
 * The JSON Schema of `services.yaml`, for editors (`# yaml-language-server: $schema=…`) and as reference
 * documentation, generated from the same zod schema the loader checks with. It describes the written form
 * (`io: "input"`): durations and sizes as text, not the milliseconds and bytes they become.
 * schema/services.schema.json is its committed copy; `npm run gen:schema` rewrites it, a unit test pins it.
 */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ManifestSchema, { io: "input", target: "draft-2020-12" });
}
