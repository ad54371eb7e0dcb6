#!/usr/bin/env node
// Outage probe of the zero-downtime tests and bench: `node scripts/http-probe.cjs URL [CLIENTS] [INTERVAL_MS]`.
// CLIENTS loops (default 3) each GET URL every INTERVAL_MS (default 30), a new connection each time and no
// retries, so every failed attempt counts (wget retries by default and hides an outage). On SIGTERM it stops and
// prints {ok, failed, errors (the first few), bodies (each new one, in order)} as JSON. It runs as its own
// process so that it can be started inside another network namespace (nsenter), where a host's ports are.
const { request } = require("node:http");

const [url, clients = "3", intervalMs = "30"] = process.argv.slice(2);
const seen = { ok: 0, failed: 0, errors: [], bodies: [] };
let running = true;
process.on("SIGTERM", () => {
  running = false;
});

function once() {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () =>
        res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 2000 ms")));
    req.on("error", reject);
    req.end();
  });
}

async function loop() {
  while (running) {
    const started = Date.now();
    try {
      const body = await once();
      seen.ok++;
      if (seen.bodies.at(-1) !== body) seen.bodies.push(body);
    } catch (error) {
      seen.failed++;
      if (seen.errors.length < 5) seen.errors.push(error.message);
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, Number(intervalMs) - (Date.now() - started))),
    );
  }
}

Promise.all(Array.from({ length: Number(clients) }, loop)).then(() =>
  process.stdout.write(JSON.stringify(seen)),
);
