/**
 * Loads a package the core does not depend on (a connector's CLI, a checkpoint storage
 * package): from beside @berth/core, else from the current directory's project — where a user
 * who installed it runs `berth`.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The module `specifier`; rejects with the first import's error (`ERR_MODULE_NOT_FOUND` when installed nowhere). */
export async function loadOptionalModule(specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (first) {
    try {
      const resolved = createRequire(join(process.cwd(), "package.json")).resolve(specifier);
      return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    } catch {
      throw first;
    }
  }
}
