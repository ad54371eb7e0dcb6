import { z } from "zod";
import { ManifestSchema, ServiceSchema, OutlineSchema } from "../../src/manifest/schema.js";
const r = ServiceSchema.safeParse({ repo: "x", ports: ["3000", 3000, "1:2", "a-b"], memory: "1g", health: { interval: "1m30s", timeout: 0 }, host: "a", hosts: ["b"], command: "node  server.js", environment: ["A=b", "C"] }, { reportInput: true });
console.log(JSON.stringify(r, null, 1));
const o = OutlineSchema.safeParse({ services: {}, foo: 1, defaults: 3 });
console.log(JSON.stringify(o.error?.issues));
console.log(JSON.stringify(z.toJSONSchema(ManifestSchema, { io: "input" }), null, 1).slice(0, 3000));
import {it} from "vitest"; it("x",()=>{});
