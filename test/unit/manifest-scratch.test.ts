import { it } from "vitest";
import { parseManifest, formatProblem } from "../../src/manifest/load.js";
it("x", () => {
  const text = `version: 1
defaults:
  health: { path: /health, interval: 1s, timeout: 60s }
  environment: { NODE_ENV: production }
hosts:
  vps-1:
    ssh: deploy@203.0.113.10:2222
services:
  auth-service:
    repo: git@github.com:acme/auth-service.git
    host: vps-1
    hosts: [x]
    ports: ["127.0.0.1:3000:3000", "3000"]
    environment: { PORT: "3000", DB_URL: "\${DB_URL}" }
    memory: 512m
    helth: {}
    depends_on: [b, nope]
    health:
      timeout: 90x
  b:
    repo: git@x:y.git
    depends_on: [auth-service]
    ports: ["3000:3000"]
    cpus: -1
    command: 5
  plan:
    repo: ../nowhere
    context: ../x
`;
  const r = parseManifest(text, { file: "/tmp/p/services.yaml", env: {} });
  if (r.ok) console.log(r.manifest); else console.log(r.problems.map(formatProblem).join("\n"));
});
