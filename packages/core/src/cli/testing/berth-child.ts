/**
 * For the CLI's own tests: runs `berth <args>` (packages/core/bin/berth.mjs) as a real child
 * process with its own BERTH_HOME, collecting stdout and stderr.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repo = resolve(fileURLToPath(new URL("../../../../..", import.meta.url)));
const bin = join(repo, "packages/core/bin/berth.mjs");
/** The pipeline tests script through its environment (see the module). */
export const scriptedPipeline = join(repo, "packages/core/src/cli/testing/scripted-sequence.ts");

export interface BerthChild {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** The exit code; rejects after `limitMs` (the child is then killed). */
  exit(limitMs?: number): Promise<number | null>;
}

export function berthChild(args: string[], env: Record<string, string>): BerthChild {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: repo,
    env: { ...process.env, BERTH_LOG_LEVEL: "warn", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exit: (limitMs = 60_000) =>
      new Promise((done, fail) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          fail(
            new Error(
              `berth ${args[0]} did not exit within ${limitMs} ms; stdout: ${stdout}; stderr: ${stderr}`,
            ),
          );
        }, limitMs);
        exited.then((code) => {
          clearTimeout(timer);
          done(code);
        });
      }),
  };
}
