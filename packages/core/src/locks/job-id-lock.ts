/**
 * One owner per job id: a job holds the kernel lock `<checkpoint dir>/<job id>/job.lock` from
 * its start — before it restores, commits or aborts anything — to its end, so a second job
 * with that id is refused wherever its `$BERTH_HOME` is. The registry takes the same kind of
 * lock on its entry (control/job-registry.ts).
 */
import { join } from "node:path";
import { BerthError } from "../errors.js";
import { ensureDirectory } from "../fs/directories.js";
import { describeHolder, type KernelLock, type LockHolder, tryAcquireKernelLock } from "./kernel-lock.js";

export const JOB_LOCK_FILE = "job.lock";

/** Another live job holds this job id. */
export class JobIdInUseError extends BerthError {
  static override readonly marker: string = "berth.core/JobIdInUseError";

  constructor(
    readonly jobId: string,
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      "JOB_ID_IN_USE",
      `job id ${jobId} is in use: ${describeHolder(holder, lockPath)} holds ${lockPath}; stop that job first (berth stop ${jobId}), or run this one under another --job-id`,
    );
  }
}

/** Takes the kernel lock `path` for `jobId`, or throws {@link JobIdInUseError} naming the holder. */
export async function lockJobIdAt(path: string, jobId: string): Promise<KernelLock> {
  const attempt = await tryAcquireKernelLock(path, jobId);
  if (!attempt.acquired) throw new JobIdInUseError(jobId, path, attempt.holder);
  return attempt.lock;
}

/** Takes the lock of `jobId` in its checkpoint folder `jobDirectory` (created when missing). */
export async function lockJobId(jobDirectory: string, jobId: string): Promise<KernelLock> {
  await ensureDirectory(jobDirectory);
  return lockJobIdAt(join(jobDirectory, JOB_LOCK_FILE), jobId);
}
