import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` (pure modules, fast) and `e2e` (the built CLI as a child process against the real
 * Docker engine and throwaway git repos; needs `scripts/setup.sh` first, which `npm test` runs).
 *
 *   npx vitest run                  both
 *   npx vitest run --project unit   one of them
 */
export default defineConfig({
  test: {
    // Two cores, and e2e files run docker builds: two test files at a time. Every e2e file deploys under its
    // own project name, ports and temp folders, so two of them side by side never meet.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          // Checks the engine, the base image and dist/ once, before any e2e file runs.
          globalSetup: ["test/e2e/support/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Tests in one file share deployed state (deploy, then redeploy a subset): never shuffle or parallelise them.
          sequence: { concurrent: false, shuffle: false },
        },
      },
    ],
  },
});
