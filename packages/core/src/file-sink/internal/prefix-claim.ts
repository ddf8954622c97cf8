/**
 * The file sink's claim of its prefix (the contract's `claimPrefix`): a kernel lock
 * `.berth-locks/<prefix>.lock` in the output directory, so two jobs never write or clean up
 * under one prefix, whatever their job ids, homes or users. The kernel drops it when the
 * process dies.
 */
import { dirname, join, resolve } from "node:path";
import { ensureDirectory } from "../../fs/directories.js";
import { describeHolder, tryAcquireKernelLock } from "../../locks/kernel-lock.js";
import {
  type PrefixClaim,
  type PrefixClaimContext,
  SinkPrefixInUseError,
} from "../../sink/prefix-ownership.js";

/** Hidden directory of the prefix locks in a file sink's output directory. */
export const FILE_SINK_LOCK_DIRECTORY = ".berth-locks";

/** The kernel lock a job holds on `prefix` in the output `directory` while it runs. */
export function fileSinkPrefixLock(directory: string, prefix: string): string {
  return join(resolve(directory), FILE_SINK_LOCK_DIRECTORY, `${prefix}.lock`);
}

export async function claimFilePrefix(directory: string, context: PrefixClaimContext): Promise<PrefixClaim> {
  const lock = fileSinkPrefixLock(directory, context.sinkPrefix);
  await ensureDirectory(dirname(lock), 0o777);
  const attempt = await tryAcquireKernelLock(lock, context.jobId);
  if (!attempt.acquired)
    throw new SinkPrefixInUseError(context.sinkPrefix, lock, describeHolder(attempt.holder, lock));
  return { release: async () => attempt.lock.release() };
}
