import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// One config for the workspace. Every package the workspace globs find (pnpm-workspace.yaml:
// packages/* and examples) is a project named after its package.json name — found, never
// listed, so a new package's tests cannot be left out by forgetting to register them.
// `pnpm --filter <pkg> test` runs one project; `pnpm test:unit` / `pnpm test:it` (vitest
// `--mode unit` / `--mode it`) run only the unit tests (`*.test.ts` but not `*.it.test.ts`) or
// only the integration tests (`*.it.test.ts`, against real services) of all of them.
const root = fileURLToPath(new URL(".", import.meta.url));
const WORKSPACE_GLOBS = ["packages/*", "examples"];

function packageDirectories(glob: string): string[] {
  const directories = glob.endsWith("/*")
    ? readdirSync(join(root, glob.slice(0, -2)), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(root, glob.slice(0, -2), entry.name))
    : [join(root, glob)];
  return directories.filter((directory) => existsSync(join(directory, "package.json")));
}

const projects = WORKSPACE_GLOBS.flatMap(packageDirectories).map((directory) => ({
  name: (JSON.parse(readFileSync(join(directory, "package.json"), "utf8")) as { name: string }).name,
  root: directory,
}));

const IT_TESTS = "**/*.it.test.ts";

export default defineConfig(({ mode }) => {
  // tsc -b emits compiled copies of the tests into dist/; run only the sources.
  const exclude = ["**/node_modules/**", "**/dist/**", ...(mode === "unit" ? [IT_TESTS] : [])];
  // Set on each project too: a project re-reads this file in the default mode.
  const files = { ...(mode === "it" ? { include: [IT_TESTS] } : {}), exclude };
  return {
    test: {
      testTimeout: 120_000,
      hookTimeout: 120_000,
      passWithNoTests: true,
      // Many tests fail jobs on purpose; their logs would bury a real failure. BERTH_LOG_LEVEL=info shows them.
      env: { BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? "silent" },
      ...files,
      projects: projects.map((test) => ({ extends: true, test: { ...test, ...files } })),
    },
  };
});
