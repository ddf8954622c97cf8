/**
 * `mkdir -p` one component at a time. Node's own `mkdir(…, { recursive: true })` never
 * returns — it spins a thread at 100 % CPU — where an existing parent refuses children
 * with ENOENT, as `/proc` and `/sys` do (nodejs/node reads ENOENT as "parent missing",
 * creates the parent, gets EEXIST and retries forever). Walking up to the first existing
 * ancestor and creating each missing component once turns that into an ENOENT error.
 */
import { mkdir, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";

function notADirectory(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), {
    code: "ENOTDIR",
    syscall: "mkdir",
    path,
  });
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** The components of `directory` that do not exist yet, outermost first. */
async function missingComponents(directory: string): Promise<string[]> {
  const missing: string[] = [];
  for (let path = resolve(directory); ; path = dirname(path)) {
    try {
      if (!(await stat(path)).isDirectory()) throw notADirectory(path);
      return missing.reverse();
    } catch (error) {
      if (code(error) !== "ENOENT" || dirname(path) === path) throw error;
      missing.push(path);
    }
  }
}

/** Creates `directory` and its missing parents (mode 0700 by default); fails instead of looping. */
export async function ensureDirectory(directory: string, mode = 0o700): Promise<void> {
  for (const path of await missingComponents(directory)) {
    await mkdir(path, { mode }).catch((error: unknown) => {
      if (code(error) !== "EEXIST") throw error; // created meanwhile by someone else
    });
  }
}
