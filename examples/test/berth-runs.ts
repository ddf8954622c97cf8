/**
 * `berth` runs of the examples' tests, from the repository root, each one killed after its
 * test if it is still running (a failed assertion must not leave a job behind).
 */
import { fileURLToPath } from "node:url";
import { type BerthProcess, runBerth } from "@berth/testkit";
import { afterEach } from "vitest";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
const running = new Set<BerthProcess>();

export function berth(args: readonly string[], env: Record<string, string>): BerthProcess {
  const run = runBerth(args, env, REPO);
  running.add(run);
  void run.exit.finally(() => running.delete(run)).catch(() => undefined);
  return run;
}

afterEach(async () => {
  for (const run of running) {
    run.child.kill("SIGKILL");
    await run.exit.catch(() => undefined);
  }
});
