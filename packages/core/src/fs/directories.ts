/**
 * `mkdir -p` one component at a time. Node's own `mkdir(…, { recursive: true })` never
 * returns — it spins a thread at 100 % CPU — where an existing parent refuses children
 * with ENOENT, as `/proc` and `/sys` do (nodejs/node reads ENOENT as "parent missing",
 * creates the parent, gets EEXIST and retries forever). Walking up to the first existing
 * ancestor and creating each missing component once turns that into an ENOENT error.
 *
 * A created directory is only durable once its parent is fsynced: without that, a power loss
 * can forget a `chk-*` or savepoint directory (and everything in it) although the checkpoint
 * completed, so each creation is followed by an fsync of the parent.
 */
import { mkdir, open, stat } from "node:fs/promises";
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

/** Makes the entries of `directory` (files created, renamed or removed in it) durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `directory` and its missing parents (mode 0700 by default), durably: the parent of
 * each created component is fsynced. Fails instead of looping.
 */
export async function ensureDirectory(directory: string, mode = 0o700): Promise<void> {
  for (const path of await missingComponents(directory)) {
    const created = await mkdir(path, { mode }).then(
      () => true,
      (error: unknown) => {
        if (code(error) !== "EEXIST") throw error;
        return false; // created meanwhile by someone else, who makes it durable
      },
    );
    if (created) await fsyncDirectory(dirname(path));
  }
}
