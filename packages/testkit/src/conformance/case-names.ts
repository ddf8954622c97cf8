/** The conformance cases, by stable name, with what each proves. */
import { TestkitError } from "../errors.js";

export const CONFORMANCE_CASES = {
  bounded: "a bounded job ends FINISHED with every record committed once",
  "end-of-input": "end of input commits everything with the final checkpoint; a restore from it adds nothing",
  stop: "stop (suspend): everything before the stop is visible before restore; the restore continues exactly-once",
  "stop-with-drain":
    "stop with drain: everything before the stop is visible before restore; the restore continues exactly-once",
  "savepoint-no-claim":
    "a savepoint while running; a second job with its own prefix and target restored from it (NO_CLAIM) writes exactly the records after it, and the savepoint stays byte-for-byte unchanged",
  "commit-retried": "a commit whose answer is lost, or that fails transiently, is retried without duplicates",
  "commit-twice": "every committable committed twice: nothing written twice",
  "crash-while-writing": "SIGKILL while writing, restore from the latest checkpoint: every record once",
  "crash-after-pre-commit":
    "SIGKILL right after a pre-commit, restore from the latest checkpoint: every record once",
  "crash-after-checkpoint-complete":
    "SIGKILL after a checkpoint completed, before its commit: every record once after restore",
  "crash-mid-commit": "SIGKILL between two commits of a checkpoint: every record once after restore",
  "crash-during-restore-commit":
    "SIGKILL while a restore recommits the checkpoint's committables, then restore again: every record once",
  "stop-commit-fails":
    "a commit of a stop fails after the others succeeded: the job fails over to the stop's savepoint, every record once",
  "crash-during-stop-commit":
    "SIGKILL after a stop's commits, before it ends FINISHED; restore from the newest checkpoint or savepoint: every record once",
  "checkpoints-fail-after-pre-commit":
    "checkpoints fail after the sink pre-committed, more of them in a row than its transaction pool holds, then recover: the job does not hang, and every record is committed once",
  "stop-savepoint-timeout":
    "a stop whose savepoint times out with barriers in flight (target and source stalled): the job keeps running, a later stop succeeds, every record once",
  "signal-before-running":
    "SIGTERM while the job starts and while it restarts after a failure: it waits for RUNNING, stops with a savepoint and ends FINISHED; every record once after restore",
  "lingering-cleanup":
    "transactions a crashed run left open or pre-committed are aborted when the next run starts",
  "rescale-up": "crash at sink parallelism 1, restore at 3: every record once",
  "rescale-down":
    "crash at sink parallelism 3, restore at 1 (committables of vanished subtasks committed): every record once",
  "failover-after-restore":
    "a stopped job restored from its savepoint under the same job id fails over before its first checkpoint: the failover restores that savepoint, not the job's older checkpoint; every record once",
  "checkpoint-storage-fails":
    "checkpoint storage fails for three checkpoints in a row: the job keeps running, a later checkpoint commits what they pre-committed; every record once",
  "target-restart":
    "the target (a private instance) restarts mid-run: the job ends FINISHED, every record once",
} as const;

export type ConformanceCaseName = keyof typeof CONFORMANCE_CASES;

export const CONFORMANCE_CASE_NAMES = Object.keys(CONFORMANCE_CASES) as ConformanceCaseName[];

/** Cases that need a target of their own that they disturb: they run one at a time. */
export const SERIAL_CASES: readonly ConformanceCaseName[] = ["target-restart"];

/**
 * Named subsets for secondary variants of a sink (another mode, another pool size), whose main
 * variant runs everything: `core` is what the two-phase commit itself must survive — every
 * crash, lingering cleanup and rescaling.
 */
export const CONFORMANCE_SUBSETS = {
  core: CONFORMANCE_CASE_NAMES.filter(
    (c) => c.startsWith("crash-") || c === "lingering-cleanup" || c.startsWith("rescale-"),
  ),
} as const satisfies Record<string, readonly ConformanceCaseName[]>;

export type ConformanceSubsetName = keyof typeof CONFORMANCE_SUBSETS;

/** The cases a run selects: `only` if given, else the named `subset`, else all. */
export function selectedCases(options: {
  readonly only?: readonly ConformanceCaseName[];
  readonly subset?: ConformanceSubsetName;
}): ConformanceCaseName[] {
  if (options.only) return [...options.only];
  if (options.subset === undefined) return [...CONFORMANCE_CASE_NAMES];
  const subset = CONFORMANCE_SUBSETS[options.subset];
  if (!subset)
    throw new TestkitError(
      "TESTKIT_MISUSE",
      `conformance kit: no subset "${String(options.subset)}"; subsets are ${Object.keys(CONFORMANCE_SUBSETS).join(", ")}`,
    );
  return [...subset];
}
