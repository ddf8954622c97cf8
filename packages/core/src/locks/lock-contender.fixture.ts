/**
 * A process contending for a kernel lock, for kernel-lock.it.test.ts. Reads one line from
 * stdin ("go"), tries the lock at argv[2] for job argv[3], prints one JSON line with the
 * outcome, and — when it won — holds the lock until stdin closes.
 */
import { createInterface } from "node:readline";
import { tryAcquireKernelLock } from "./kernel-lock.js";

const [path, jobId] = process.argv.slice(2) as [string, string];
const lines = createInterface({ input: process.stdin });
const go = await new Promise<boolean>((resolve) => {
  lines.once("line", () => resolve(true));
  lines.once("close", () => resolve(false));
});
if (!go) process.exit(0);
const attempt = await tryAcquireKernelLock(path, jobId);
process.stdout.write(
  `${JSON.stringify(attempt.acquired ? { won: true, pid: process.pid } : { won: false, pid: process.pid, holder: attempt.holder })}\n`,
);
if (attempt.acquired) lines.once("close", () => attempt.lock.release());
else process.exit(0);
