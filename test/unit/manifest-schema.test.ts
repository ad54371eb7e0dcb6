import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { manifestJsonSchema } from "../../src/manifest/json-schema.js";

const COMMITTED = path.join(import.meta.dirname, "..", "..", "schema", "services.schema.json");

type JsonSchema = { [key: string]: unknown };

/** Every property of every object in the schema, with the path that leads to it. */
function* properties(node: unknown, at: string): Generator<[string, JsonSchema]> {
  if (typeof node !== "object" || node === null) return;
  const schema = node as JsonSchema;
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    yield [`${at}.${name}`, child];
  }
  for (const [key, child] of Object.entries(schema)) {
    if (key !== "properties" && typeof child === "object") yield* properties(child, `${at}.${key}`);
  }
  for (const child of Object.values((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    yield* properties(child, at);
  }
}

describe("the manifest's JSON Schema", () => {
  it("matches the committed schema/services.schema.json", async () => {
    const committed = JSON.parse(await readFile(COMMITTED, "utf8"));
    expect(committed, "schema/services.schema.json is stale: run `npm run gen:schema` and commit it").toEqual(
      manifestJsonSchema(),
    );
  });

  it("documents every field", () => {
    const schema = manifestJsonSchema() as JsonSchema;
    const defs = (schema.$defs ?? {}) as Record<string, JsonSchema>;
    const undocumented = [...properties(schema, "#")]
      .filter(([, child]) => {
        const ref = typeof child.$ref === "string" ? defs[child.$ref.replace("#/$defs/", "")] : undefined;
        return typeof (child.description ?? ref?.description) !== "string";
      })
      .map(([at]) => at);
    expect(undocumented).toEqual([]);
  });

  it("shows the defaults the loader applies", () => {
    const defs = (
      manifestJsonSchema() as { $defs: Record<string, { properties: Record<string, JsonSchema> }> }
    ).$defs;
    expect(defs.Service?.properties.branch?.default).toBe("main");
    expect(defs.Service?.properties.restart?.default).toBe("unless-stopped");
    const health = (defs.Health as unknown as { anyOf: { properties?: Record<string, JsonSchema> }[] })
      .anyOf[1];
    expect(health?.properties?.timeout?.default).toBe("60s");
  });
});
