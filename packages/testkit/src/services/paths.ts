import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: this file lives in `packages/testkit/src/services/`. */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../../../../", import.meta.url)));

/**
 * Where the shared services keep data, logs, pid files and resolved jars: `<repo>/.services`
 * (git-ignored), or `BERTH_SERVICES_DIR`.
 */
export function servicesDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const override = env.BERTH_SERVICES_DIR?.trim();
  if (override) return isAbsolute(override) ? override : resolve(override);
  return join(REPO_ROOT, ".services");
}

/** `path` relative to the current directory when that is shorter, for messages. */
export function displayPath(path: string): string {
  const cwd = process.cwd();
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}
