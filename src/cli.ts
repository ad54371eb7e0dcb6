// The CLI's entry: bundled into dist/deploy.cjs, which the `deploy` command (src/launcher/main.ts) runs.
import { main } from "./main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`deploy: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
