/**
 * `berth <args>` as a real child process, for a connector's end-to-end tests: the CLI of the
 * installed `@berth/core` (its `bin/berth.mjs`), run by this Node, output collected. A
 * pipeline path in `args` is resolved against `cwd`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The core package's folder: its entry point (`src/index.ts`, or `dist/index.js` when published) sits one level down. */
const corePackage = dirname(dirname(createRequire(import.meta.url).resolve("@berth/core")));
const berthBin = join(corePackage, "bin", "berth.mjs");

export interface BerthProcess {
  readonly child: ChildProcess;
  /** The exit code (null when a signal ended it) and everything the process wrote to stdout and stderr. */
  readonly exit: Promise<{ code: number | null; output: string }>;
}

/** Starts `berth <args>` in `cwd` with `env` over this process's environment (job logs at `error` unless `env` says otherwise). */
export function runBerth(args: readonly string[], env: Record<string, string>, cwd: string): BerthProcess {
  const child = spawn(process.execPath, [berthBin, ...args], {
    cwd,
    env: { ...process.env, BERTH_LOG_LEVEL: "error", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exit = new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
  return { child, exit };
}
