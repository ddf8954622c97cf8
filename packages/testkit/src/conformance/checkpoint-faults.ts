/**
 * Makes a running job's periodic checkpoints fail *after* the sinks pre-committed: every
 * subtask snapshots and acknowledges, then the checkpoint storage refuses the checkpoint's
 * `_metadata` (a directory stands where the file must go, as a broken disk or a full volume
 * refuses the last write). The job keeps running — a failed periodic checkpoint is only
 * logged — and each sink keeps what it pre-committed pending for the next checkpoint, so a
 * writer with a bounded pool of transaction names runs out of free ones.
 */
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Job } from "@berth/core";

export interface FailingCheckpoints {
  /** Ids of the checkpoints made to fail so far. */
  readonly failed: readonly number[];
  /** Ids of obstructed checkpoints that completed anyway (the obstruction did not take). */
  readonly completedAnyway: readonly number[];
  /** Barriers whose checkpoint directory was not where the kit looked (a layout it does not know). */
  readonly notFound: readonly string[];
}

/**
 * Fails the next `count` periodic checkpoints of `job` that start once `after` of them
 * completed. `checkpointDirectory` is the job's `checkpointDirectory` option.
 */
export function failCheckpointsAfterPreCommit(
  job: Job,
  checkpointDirectory: string,
  { count, after }: { readonly count: number; readonly after: number },
): FailingCheckpoints {
  const failed: number[] = [];
  const completedAnyway: number[] = [];
  const notFound: string[] = [];
  let completed = 0;
  // The obstructed checkpoint in flight (ids repeat after a failover; checkpoints run one at a time).
  let obstructed: number | undefined;
  job.on("snapshot-written", (id: number) => {
    if (id === obstructed) completedAnyway.push(id);
    else completed++;
  });
  // Synchronous on purpose: the coordinator creates the checkpoint's directory, emits
  // "barrier-injected", and only then injects the barrier, so `_metadata` is obstructed before
  // any subtask can acknowledge.
  job.on("barrier-injected", (id: number) => {
    obstructed = undefined;
    if (completed < after || failed.length >= count) return;
    const directory = join(currentRunFolder(join(resolve(checkpointDirectory), job.jobId)), `chk-${id}`);
    if (!existsSync(directory)) {
      // A savepoint (stop) goes elsewhere; anything else means the layout moved.
      notFound.push(directory);
      return;
    }
    mkdirSync(join(directory, "_metadata"));
    obstructed = id;
    failed.push(id);
  });
  return { failed, completedAnyway, notFound };
}

/** The folder of the job's current run: the highest `run-<r>` (docs/savepoint-format.md, Lineage). */
function currentRunFolder(jobDirectory: string): string {
  const runs = readdirSync(jobDirectory)
    .flatMap((name) => (/^run-\d+$/.test(name) ? [Number(name.slice(4))] : []))
    .sort((a, b) => a - b);
  return join(jobDirectory, `run-${runs.at(-1) ?? 1}`);
}
