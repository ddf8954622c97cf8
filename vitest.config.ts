import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// One config for the workspace. Each package is a project named after its package.json
// name, so `pnpm --filter <pkg> test` runs that project alone; all share these options.
const projects = [
  ["@berth/core", "packages/core"],
  ["@berth/sink-kafka", "packages/sink-kafka"],
  ["@berth/sink-postgres", "packages/sink-postgres"],
  ["@berth/sink-s3", "packages/sink-s3"],
  ["@berth/testkit", "packages/testkit"],
  ["@berth/examples", "examples"],
] as const;

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    passWithNoTests: true,
    // Many tests fail jobs on purpose; their logs would bury a real failure. BERTH_LOG_LEVEL=info shows them.
    env: { BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? "silent" },
    // tsc -b emits compiled copies of the tests into dist/; run only the sources.
    exclude: ["**/node_modules/**", "**/dist/**"],
    projects: projects.map(([name, dir]) => ({
      extends: true,
      test: { name, root: fileURLToPath(new URL(dir, import.meta.url)) },
    })),
  },
});
