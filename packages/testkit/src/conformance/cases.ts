/**
 * The conformance cases. Each runs the conformance pipeline (sequence 0…records-1 → the sink
 * under test) against fresh targets and records every check that failed; crash cases kill a
 * real child process at a lifecycle point with `BERTH_FAULT` and restore from the newest
 * complete checkpoint, as `berth run --from-latest` does.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BerthError, createLogger, latestRestorePoint } from "@berth/core";
import type { FaultPoint } from "@berth/core/testing";
import { TestkitError } from "../errors.js";
import { CONFORMANCE_CASES, type ConformanceCaseName, selectedCases } from "./case-names.js";
import { CaseAborted, CaseRun } from "./case-run.js";
import { failCheckpointsAfterPreCommit } from "./checkpoint-faults.js";
import { diffTrees, hashTree, positionOf } from "./checkpoint-files.js";
import { describeChild } from "./child-job.js";
import { commitTwice, lostAcknowledgements, newCommitLog, withCommitter } from "./committer-faults.js";
import { type ResolvedOptions, resolveOptions, type SinkConformanceOptions } from "./options.js";
import { type ConformanceReport, formatReport } from "./report.js";
import type { RunnerEvent } from "./runner-protocol.js";
import { loadSinkFactory, type SinkConformanceFactory } from "./sink-factory.js";
import { Stall, withFetchStall, withWriteStall } from "./stalls.js";

type CaseBody = (run: CaseRun) => Promise<string | undefined>;

// --- bounded, end of input, stop -------------------------------------------------------

const bounded: CaseBody = async (run) => {
  const target = await run.target();
  const spec = run.spec({ ratePerSecond: 0 });
  await run.finished("the bounded job", run.inProcess(target, spec));
  await run.checkAll("after the job FINISHED", target);
  await run.checkNoLingering("after the job FINISHED", target, spec.sinkPrefix);
  return undefined;
};

const endOfInput: CaseBody = async (run) => {
  const target = await run.target();
  const spec = run.spec();
  const job = run.inProcess(target, spec);
  let snapshots = 0;
  job.job.on("snapshot-written", () => snapshots++);
  const result = await run.finished("the rate-limited job", job);
  if (snapshots < 3)
    run.notes.push(`only ${snapshots} checkpoint(s) before end of input; raise records or lower the rate`);
  await run.checkAll("after end of input", target);
  await run.checkNoLingering("after end of input", target, spec.sinkPrefix);
  const final = result.savepoint;
  if (!final) run.abort("after end of input", "the job reported no final checkpoint");
  await run.finished(
    "a restore from the final checkpoint",
    run.inProcess(target, run.spec({ restorePath: final })),
  );
  await run.checkAll("after a restore from the final checkpoint", target);
  return undefined;
};

function stopCase(drain: boolean): CaseBody {
  const what = drain ? "stop with drain" : "stop";
  return async (run) => {
    const target = await run.target();
    const spec = run.spec();
    const first = run.inProcess(target, spec);
    await first.afterRecords(run.options.records / 3);
    const savepoint = await first.job
      .stop({ drain, targetDirectory: join(run.workDirectory, "savepoints") })
      .catch((error: Error) => run.abort(what, `the ${what} failed: ${error.message}`));
    await run.finished(what, first);
    const position = await positionOf(savepoint);
    if (position.emitted.size === 0 || position.emitted.size >= run.options.records) {
      run.notes.push(
        `the ${what} came at ${position.emitted.size} of ${run.options.records} records, not mid-run`,
      );
    }
    // Visible before any restore: the stop commits synchronously.
    await run.check(`after the ${what}, before restore`, target, position.emitted, position.emitted);
    await run.checkNoLingering(`after the ${what}, before restore`, target, spec.sinkPrefix);
    await run.finished(
      `the restore from the ${what}'s savepoint`,
      run.inProcess(target, run.spec({ restorePath: savepoint })),
    );
    await run.checkAll(`after the restore from the ${what}'s savepoint`, target);
    await run.checkNoLingering(`after the restore from the ${what}'s savepoint`, target, spec.sinkPrefix);
    return undefined;
  };
}

// --- savepoint, NO_CLAIM -----------------------------------------------------------------

const savepointNoClaim: CaseBody = async (run) => {
  const firstTarget = await run.target("first");
  const first = run.inProcess(firstTarget, run.spec({ sinkPrefix: run.prefix("first") }));
  await first.afterRecords(run.options.records / 3);
  const savepoint = await first.job
    .savepoint(join(run.workDirectory, "savepoints"))
    .catch((error: Error) => run.abort("savepoint while running", `the savepoint failed: ${error.message}`));
  const hashes = await hashTree(savepoint);
  const position = await positionOf(savepoint);
  if (position.committables === 0) {
    run.notes.push("the savepoint held no committable, so the NO_CLAIM restore recommitted nothing");
  }
  await run.finished("the first job, after its savepoint", first);
  await run.checkAll("the first job's target, after its end of input", firstTarget);

  const secondTarget = await run.target("second");
  const secondPrefix = run.prefix("second");
  await run.finished(
    "the second job, restored from the savepoint with NO_CLAIM",
    run.inProcess(secondTarget, run.spec({ restorePath: savepoint, sinkPrefix: secondPrefix })),
  );
  const after = new Set([...run.all].filter((seq) => !position.emitted.has(seq)));
  await run.check(
    "the second job's target (only records after the savepoint's position)",
    secondTarget,
    after,
    after,
  );
  await run.checkAll("the first job's target, after the second job", firstTarget);
  await run.checkNoLingering("the second job's target", secondTarget, secondPrefix);
  const changes = diffTrees(hashes, await hashTree(savepoint));
  if (changes.length > 0) {
    run.fail("the savepoint after a NO_CLAIM restore", `the savepoint changed: ${changes.join(", ")}`);
  }
  return undefined;
};

// --- commit retried and repeated ---------------------------------------------------------

function commitCase(kind: "retried" | "twice"): CaseBody {
  return async (run) => {
    const target = await run.target();
    const spec = run.spec();
    const log = newCommitLog();
    const sink = withCommitter(
      run.factory.createSink(target),
      kind === "retried" ? lostAcknowledgements(log) : commitTwice(log),
    );
    // The injected failures are expected: keep their warnings out of the test output.
    const logger = createLogger(process.env.BERTH_CONFORMANCE_LOG_LEVEL ?? "error");
    const what = kind === "retried" ? "lost commit answers" : "double commits";
    await run.finished(`the job with ${what}`, run.inProcess(target, spec, sink, logger));
    if (log.calls.length === 0) run.abort("commits", "the committer was never called");
    for (const breach of log.breaches) run.fail("a repeated commit", breach);
    run.notes.push(...log.notes);
    await run.checkAll("after the job FINISHED", target);
    await run.checkNoLingering("after the job FINISHED", target, spec.sinkPrefix);
    return undefined;
  };
}

// --- crashes -------------------------------------------------------------------------------

/** Which pass of a point kills the job: mid-run, after a few checkpoints. */
function faultFor(point: FaultPoint, options: ResolvedOptions): string {
  switch (point) {
    case "while-writing":
      return `while-writing@${Math.floor(options.records / 2)}`;
    case "after-pre-commit":
      return `after-pre-commit@${2 * options.sinkParallelism + 1}`;
    default:
      return `${point}@3`;
  }
}

/** After a kill: nothing twice, nothing beyond the newest complete checkpoint or savepoint. */
async function checkAfterCrash(
  run: CaseRun,
  target: object,
  jobId: string,
  point: FaultPoint,
): Promise<string | undefined> {
  const latest = await latestRestorePoint(join(run.workDirectory, "checkpoints"), jobId);
  const allowed = latest ? (await positionOf(latest)).emitted : new Set<number>();
  await run.check(
    "after the kill, before restore (committed must lie within the newest complete checkpoint or savepoint)",
    target,
    allowed,
    undefined,
    point,
  );
  return latest;
}

async function crash(
  run: CaseRun,
  point: FaultPoint,
  parallelism: { before: number; after: number } = {
    before: run.options.sinkParallelism,
    after: run.options.sinkParallelism,
  },
): Promise<string | undefined> {
  const target = await run.target();
  const spec = run.spec({ sinkParallelism: parallelism.before });
  let latest: string | undefined;
  if (point === "during-restore-commit") {
    const setup = "after-checkpoint-complete@2";
    run.childKilled(
      "the first run",
      await run.child(target, spec, setup),
      setup,
      "after-checkpoint-complete",
    );
    latest = await checkAfterCrash(run, target, spec.jobId, "after-checkpoint-complete");
    if (!latest) run.abort("the first run", "no checkpoint completed before the kill", point);
    const { committables } = await positionOf(latest);
    if (committables === 0) {
      run.abort("the first run", `the newest checkpoint ${latest} holds no committable to recommit`, point);
    }
    const fault = `during-restore-commit@${Math.min(2, committables)}`;
    run.childKilled(
      "the restore recommitting the checkpoint's committables",
      await run.child(target, { ...spec, restorePath: latest }, fault),
      fault,
      point,
    );
    latest = await checkAfterCrash(run, target, spec.jobId, point);
  } else {
    const fault = faultFor(point, run.options);
    run.childKilled("the first run", await run.child(target, spec, fault), fault, point);
    latest = await checkAfterCrash(run, target, spec.jobId, point);
  }
  const restore = { ...spec, sinkParallelism: parallelism.after, ...(latest ? { restorePath: latest } : {}) };
  run.childFinished(
    `the restore from ${latest ? "the newest checkpoint" : "scratch (no checkpoint completed)"}`,
    await run.child(target, restore),
    point,
  );
  await run.checkAll(
    `after the restore${parallelism.after !== parallelism.before ? ` at sink parallelism ${parallelism.after} (was ${parallelism.before})` : ""} FINISHED`,
    target,
    point,
  );
  await run.checkNoLingering("after the restore FINISHED", target, spec.sinkPrefix, point);
  return latest ? undefined : "no checkpoint had completed before the kill; the restore started from scratch";
}

function crashCase(point: FaultPoint): CaseBody {
  return async (run) => {
    const note = await crash(run, point);
    if (note) run.notes.push(note);
    return undefined;
  };
}

/**
 * The stop's last commit fails (`throw`: the job fails over in its process and must restore
 * from the stop's savepoint) or the process dies there (`kill`: restored like
 * `--from-latest`, from the stop's savepoint).
 */
function stopCommitFault(fault: "throw" | "kill"): CaseBody {
  return async (run) => {
    const point = "mid-commit";
    const target = await run.target();
    const spec = run.spec();
    const stop = { afterRecords: Math.floor(run.options.records / 3), drain: false, fault };
    const child = await run.child(target, spec, undefined, { stop });
    const commits = child.events.find((e) => e.event === "stop-commits")?.total ?? 0;
    if (commits === 0) {
      run.abort(
        "the stop",
        `the stop had no commit to ${fault === "kill" ? "die" : "fail"} after; ${describeChild(child)}`,
      );
    }
    if (fault === "throw") {
      if (!child.events.some((e) => e.event === "stop-failed")) {
        run.abort(
          "the stop",
          `the failure injected after the stop's last commit did not fail the stop; ${describeChild(child)}`,
          point,
        );
      }
      run.childFinished("the job, after failing over during the stop's commits", child, point);
      await run.checkAll("after the failover during the stop's commits and the job FINISHED", target, point);
    } else {
      run.childKilled("the stop", child, `mid-commit@${commits}`, point);
      const latest = await checkAfterCrash(run, target, spec.jobId, point);
      run.childFinished(
        "the restore from the newest checkpoint or savepoint",
        await run.child(target, { ...spec, ...(latest ? { restorePath: latest } : {}) }),
        point,
      );
      await run.checkAll("after the restore FINISHED", target, point);
    }
    await run.checkNoLingering("after the job FINISHED", target, spec.sinkPrefix, point);
    return undefined;
  };
}

// --- checkpoints failing after pre-commit ----------------------------------------------

/**
 * Fails `pool + 2` periodic checkpoints in a row after every subtask pre-committed (the
 * checkpoint storage refuses `_metadata`), then lets them complete again. A writer with a
 * bounded pool of transaction names has every name pre-committed, waiting for a commit that
 * needs a completed checkpoint, while the next barrier queues behind its next record: it must
 * not wait there. A sink without a pool is held to the rest: what it pre-committed for the
 * failed checkpoints stays pending and commits once, with the next completed one.
 */
const checkpointsFailAfterPreCommit: CaseBody = async (run) => {
  const pool = run.factory.transactionPoolSize;
  const count = (pool ?? 1) + 2;
  const { ratePerSecond, checkpointIntervalMs, caseTimeoutMs } = run.options;
  // Enough input for one completed checkpoint, the failures and a few more, twice over.
  const records =
    ratePerSecond > 0
      ? Math.max(
          run.options.records,
          Math.ceil(((ratePerSecond * checkpointIntervalMs) / 1000) * (count + 4) * 2),
        )
      : run.options.records;
  const target = await run.target();
  const spec = run.spec({ records });
  const job = run.inProcess(target, spec);
  const faults = failCheckpointsAfterPreCommit(job.job, spec.checkpointDirectory, { count, after: 1 });
  let checkpoints = 0;
  job.job.on("snapshot-written", () => checkpoints++);
  // Nothing may wait forever: a job that hangs is canceled and reported.
  const deadlineMs = Math.max(10_000, caseTimeoutMs - 30_000);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), deadlineMs);
  });
  const ended = await Promise.race([job.result, hung]).finally(() => clearTimeout(timer));
  if (ended === "hung") {
    await Promise.race([job.job.cancel(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    run.abort(
      "while checkpoints failed after pre-commit",
      `the job hangs: it had not ended ${deadlineMs / 1000} s after it started, with ${faults.failed.length} checkpoint(s) failed after pre-commit (${faults.failed.join(", ")}) and ${checkpoints} completed; a writer whose every transaction awaits a commit must not block the barrier that would allow it`,
    );
  }
  await run.finished("the job whose checkpoints failed after pre-commit", job.result);
  if (faults.completedAnyway.length > 0) {
    run.abort(
      "the injected failures",
      `checkpoint(s) ${faults.completedAnyway.join(", ")} completed although their _metadata was obstructed`,
    );
  }
  if (faults.failed.length < count) {
    run.abort(
      "the injected failures",
      `only ${faults.failed.length} of ${count} checkpoints failed before the job ended${faults.notFound.length > 0 ? ` (no checkpoint directory at ${faults.notFound[0]})` : ""}; raise records or lower the rate`,
    );
  }
  run.notes.push(
    pool === undefined
      ? `the factory declares no transactionPoolSize: ${count} checkpoints failed after pre-commit; what was pre-committed for them committed with a later one`
      : `${count} checkpoints failed after pre-commit with a pool of ${pool} transaction name(s) per subtask`,
  );
  const all = new Set(Array.from({ length: records }, (_, i) => i));
  await run.check("after the checkpoints recovered and the job FINISHED", target, all, all);
  await run.checkNoLingering("after the job FINISHED", target, spec.sinkPrefix);
  return undefined;
};

// --- a stop whose savepoint times out; signals before RUNNING -----------------------------

/** The stop's savepoint times out this soon while the target is stalled (the case's checkpoints too). */
const STALLED_CHECKPOINT_TIMEOUT_MS = 4_000;
/** Stops retried when a savepoint times out on a loaded machine. */
const STOP_ATTEMPTS = 3;

/** Resolves false when `progress` has not resolved within `limitMs`: nothing waits forever. */
function within(progress: Promise<void>, limitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    progress.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), limitMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The target and the source stall (every write and fetch waits) when a stop is requested:
 * records and earlier barriers back up in the channels, the stop's barrier waits behind the
 * source's fetch, its savepoint times out and the stop fails. Once both go on, the job must run
 * on — the abandoned barrier, arriving late, halts nothing — and a later stop succeeds with every
 * record before it committed once.
 */
const stopSavepointTimeout: CaseBody = async (run) => {
  const target = await run.target();
  const spec = run.spec({ checkpointTimeoutMs: STALLED_CHECKPOINT_TIMEOUT_MS });
  const writes = new Stall();
  const fetches = new Stall();
  const job = run.inProcess(
    target,
    spec,
    withWriteStall(run.factory.createSink(target), writes),
    undefined,
    (source) => withFetchStall(source, fetches),
  );
  const savepoints = join(run.workDirectory, "savepoints");
  await job.afterRecords(run.options.records / 4);
  writes.close();
  fetches.close();
  // The source waits inside a fetch before the stop is triggered, so the stop's barrier waits behind it.
  for (const until = Date.now() + 10_000; fetches.waiting === 0; await sleep(5)) {
    if (Date.now() > until) run.abort("the stall", "the source never reached the stalled fetch");
  }
  const phase = "the stop while the target and the source stalled";
  const failed = await job.job.stop({ drain: false, targetDirectory: savepoints }).then(
    (savepoint) => run.abort(phase, `the stop succeeded (${savepoint}) although every write was stalled`),
    (error: Error) => error,
  );
  if (!(failed instanceof BerthError) || failed.code !== "SAVEPOINT_FAILED")
    run.abort(phase, `the stop failed with ${failed.message}, expected its savepoint to time out`);
  if (job.job.state !== "RUNNING")
    run.abort(phase, `after its stop's savepoint failed the job is ${job.job.state}; it must keep running`);
  writes.open();
  fetches.open();
  const limitMs = Math.max(10_000, run.options.caseTimeoutMs / 3);
  if (!(await within(job.afterRecords(job.seen() + run.options.records / 10), limitMs))) {
    await within(
      job.job.cancel().then(() => undefined),
      10_000,
    );
    run.abort(
      "after the failed stop",
      `the job made no progress within ${limitMs / 1000} s after the target and the source went on: the abandoned stop barrier halted it`,
    );
  }
  let savepoint: string | undefined;
  for (let attempt = 1; !savepoint; attempt++) {
    savepoint = await job.job.stop({ drain: false, targetDirectory: savepoints }).catch((error: Error) => {
      if (attempt < STOP_ATTEMPTS && error instanceof BerthError && error.code === "SAVEPOINT_FAILED")
        return undefined;
      return run.abort("the later stop", `the stop failed: ${error.message}`);
    });
  }
  await run.finished("the later stop", job);
  const position = await positionOf(savepoint);
  await run.check("after the later stop, before restore", target, position.emitted, position.emitted);
  await run.checkNoLingering("after the later stop, before restore", target, spec.sinkPrefix);
  await run.finished(
    "the restore from the later stop's savepoint",
    run.inProcess(target, run.spec({ restorePath: savepoint })),
  );
  await run.checkAll("after the restore from the later stop's savepoint", target);
  await run.checkNoLingering("after the restore", target, spec.sinkPrefix);
  return undefined;
};

/**
 * SIGTERM to the job process while it starts (its lingering cleanup is held) and while it
 * restarts after a failure (the restart's cleanup is held): the stop waits for RUNNING, takes a
 * savepoint, and the job ends FINISHED with exit code 0 — the signal is not lost.
 */
const signalBeforeRunning: CaseBody = async (run) => {
  for (const during of ["start", "restart"] as const) {
    const phase = `SIGTERM during the ${during}`;
    const target = await run.target(during);
    const spec = run.spec();
    const fault =
      during === "restart" ? `while-writing@${Math.floor(run.options.records / 4)}:throw` : undefined;
    const child = await run.child(target, spec, fault, { signal: { holdStart: during === "start" ? 1 : 2 } });
    if (!child.events.some((e) => e.event === "holding-start"))
      run.abort(phase, `the ${during} was never held, so no SIGTERM was sent; ${describeChild(child)}`);
    const stopFailed = child.events.find(
      (e): e is Extract<RunnerEvent, { event: "stop-failed" }> => e.event === "stop-failed",
    );
    if (stopFailed) run.abort(phase, `the stop the signal asked for failed: ${stopFailed.error}`);
    run.childFinished(phase, child);
    const stopped =
      child.events.find((e): e is Extract<RunnerEvent, { event: "stopped" }> => e.event === "stopped") ??
      run.abort(phase, `the job ended without the stop the signal asked for; ${describeChild(child)}`);
    const position = await positionOf(stopped.savepoint);
    await run.check(`after ${phase}, before restore`, target, position.emitted, position.emitted);
    await run.checkNoLingering(`after ${phase}, before restore`, target, spec.sinkPrefix);
    await run.finished(
      `the restore from the savepoint of ${phase}`,
      run.inProcess(target, run.spec({ restorePath: stopped.savepoint })),
    );
    await run.checkAll(`after the restore from the savepoint of ${phase}`, target);
    await run.checkNoLingering(`after the restore from the savepoint of ${phase}`, target, spec.sinkPrefix);
  }
  return undefined;
};

const lingeringCleanup: CaseBody = async (run) => {
  if (!run.factory.lingeringTransactions) return "the factory has no lingeringTransactions()";
  const point = "after-pre-commit";
  const target = await run.target();
  const spec = run.spec();
  const fault = faultFor(point, run.options);
  run.childKilled("the first run", await run.child(target, spec, fault), fault, point);
  const leftOpen = (await run.lingering(target, spec.sinkPrefix)) ?? [];
  if (leftOpen.length === 0) {
    run.abort(
      "after the kill, before restore",
      "lingeringTransactions() lists nothing although the run was killed right after a pre-commit whose checkpoint never completed; it must list open and pre-committed transactions",
      point,
    );
  }
  const latest = await latestRestorePoint(join(run.workDirectory, "checkpoints"), spec.jobId);
  const restored = run.inProcess(target, { ...spec, ...(latest ? { restorePath: latest } : {}) });
  const atStart = new Promise<string[]>((resolve) =>
    restored.job.once("running", () => {
      resolve(run.lingering(target, spec.sinkPrefix).then((names) => names ?? []));
    }),
  );
  await run.finished("the restore", restored, point);
  const remaining = (await atStart).filter((name) => leftOpen.includes(name));
  if (remaining.length > 0) {
    run.fail(
      "when the restored job started running",
      `${remaining.length} of the ${leftOpen.length} transaction(s) the crashed run left were not aborted at start: ${remaining.join(", ")}`,
      point,
    );
  }
  await run.checkAll("after the restore FINISHED", target, point);
  await run.checkNoLingering("after the restore FINISHED", target, spec.sinkPrefix, point);
  return undefined;
};

function rescale(before: number, after: number): CaseBody {
  return async (run) => {
    const note = await crash(run, "after-checkpoint-complete", { before, after });
    if (note) run.notes.push(note);
    return undefined;
  };
}

// --- lineage and checkpoint storage ------------------------------------------------------

/**
 * The job is stopped (its folder keeps a checkpoint older than the stop's savepoint), then
 * restored from the savepoint under the same job id in a child that fails a write before its
 * first checkpoint: the failover must restore the savepoint — the newest point of its run —
 * since the older checkpoint would repeat what the stop committed.
 */
const failoverAfterRestore: CaseBody = async (run) => {
  const point = "while-writing";
  const target = await run.target();
  const spec = run.spec();
  const first = run.inProcess(target, spec);
  await first.afterRecords(run.options.records / 3);
  const savepoint = await first.job
    .stop({ drain: false, targetDirectory: join(run.workDirectory, "savepoints") })
    .catch((error: Error) => run.abort("the stop", `the stop failed: ${error.message}`));
  await run.finished("the stop", first);
  const stopped = await positionOf(savepoint);
  const fault = `${point}@${Math.max(1, Math.floor((run.options.records - stopped.emitted.size) / 4))}:throw`;
  // A long interval (within what transactional targets allow) so the failure comes first; checked below.
  const restored = await run.child(
    target,
    { ...spec, restorePath: savepoint, checkpointIntervalMs: 20_000, restartAttempts: 1 },
    fault,
  );
  const restart = restored.events.findIndex((e) => e.event === "restarting");
  if (restart < 0) {
    run.abort(
      "the restore",
      `BERTH_FAULT=${fault} did not fail the restored job over; ${describeChild(restored)}`,
      point,
    );
  }
  if (restored.events.slice(0, restart).some((e) => e.event === "snapshot")) {
    run.abort(
      "the restore",
      "a checkpoint completed before the injected failure: the case did not test a failover right after the restore; lower the records' rate",
      point,
    );
  }
  run.childFinished("the restore, after failing over before its first checkpoint", restored, point);
  await run.checkAll("after the failover right after the restore and the job FINISHED", target, point);
  await run.checkNoLingering("after the job FINISHED", target, spec.sinkPrefix, point);
  return undefined;
};

/**
 * Checkpoint storage fails the `_metadata` write of three checkpoints in a row (fault
 * injection in a child): each checkpoint fails, the job keeps running, and the transactions
 * pre-committed for the failed checkpoints are committed with a later one. Should the job end
 * its input while storage fails, its final checkpoint fails and it fails over (noted).
 */
const checkpointStorageFails: CaseBody = async (run) => {
  const point = "checkpoint-storage-write";
  const fault = `${point}@2x3:throw`;
  const target = await run.target();
  // Half the rate: more checkpoints before end of input, so storage recovers while the job runs.
  const spec = run.spec({ ratePerSecond: Math.ceil(run.options.ratePerSecond / 2) });
  const child = await run.child(target, spec, fault);
  run.childFinished("the job whose checkpoint storage failed for a while", child, point);
  const ids = child.events.flatMap((e) => (e.event === "snapshot" ? [e.id] : []));
  if (child.events.some((e) => e.event === "restarting")) {
    run.notes.push(
      `the job failed over (checkpoints completed: ${ids.join(", ")}): its input ended while storage failed`,
    );
  } else if (!ids.includes(1) || ids.some((id) => id >= 2 && id <= 4) || !ids.some((id) => id > 4)) {
    // Checkpoints 2 to 4 failed: the ids that completed skip them.
    run.abort(
      "the job",
      `expected checkpoints 2 to 4 to fail and later ones to complete, but these completed: ${ids.join(", ") || "none"}; raise records, or lower the checkpoint interval`,
      point,
    );
  }
  await run.checkAll("after storage recovered and the job FINISHED", target, point);
  await run.checkNoLingering("after the job FINISHED", target, spec.sinkPrefix, point);
  return undefined;
};

// --- target restart ----------------------------------------------------------------------

const targetRestart: CaseBody = async (run) => {
  const start = run.factory.startPrivateTarget;
  if (!start) return "the factory has no startPrivateTarget()";
  const workDirectory = join(run.workDirectory, "private-target");
  await mkdir(workDirectory, { recursive: true });
  const instance = await start.call(run.factory, {
    id: `target-restart-${Date.now().toString(36)}`,
    workDirectory,
  });
  try {
    const spec = run.spec({ restartAttempts: 10 });
    const job = run.inProcess(instance.target, spec);
    await job.afterRecords(run.options.records / 3);
    const began = Date.now();
    await instance.restart();
    run.notes.push(`the private target restarted in ${Date.now() - began} ms`);
    await run.finished("the job across the target's restart", job);
    await run.checkAll("after the job FINISHED", instance.target);
    await run.checkNoLingering("after the job FINISHED", instance.target, spec.sinkPrefix);
  } finally {
    await instance.stop();
  }
  return undefined;
};

const BODIES: Record<ConformanceCaseName, CaseBody> = {
  bounded,
  "end-of-input": endOfInput,
  stop: stopCase(false),
  "stop-with-drain": stopCase(true),
  "savepoint-no-claim": savepointNoClaim,
  "commit-retried": commitCase("retried"),
  "commit-twice": commitCase("twice"),
  "crash-while-writing": crashCase("while-writing"),
  "crash-after-pre-commit": crashCase("after-pre-commit"),
  "crash-after-checkpoint-complete": crashCase("after-checkpoint-complete"),
  "crash-mid-commit": crashCase("mid-commit"),
  "crash-during-restore-commit": crashCase("during-restore-commit"),
  "stop-commit-fails": stopCommitFault("throw"),
  "crash-during-stop-commit": stopCommitFault("kill"),
  "checkpoints-fail-after-pre-commit": checkpointsFailAfterPreCommit,
  "stop-savepoint-timeout": stopSavepointTimeout,
  "signal-before-running": signalBeforeRunning,
  "lingering-cleanup": lingeringCleanup,
  "rescale-up": rescale(1, 3),
  "rescale-down": rescale(3, 1),
  "failover-after-restore": failoverAfterRestore,
  "checkpoint-storage-fails": checkpointStorageFails,
  "target-restart": targetRestart,
};

// --- running cases -----------------------------------------------------------------------

const factories = new Map<string, Promise<SinkConformanceFactory<object>>>();

function factoryOf(options: ResolvedOptions): Promise<SinkConformanceFactory<object>> {
  const key = `${options.factoryModule}#${options.factoryExport}`;
  let factory = factories.get(key);
  if (!factory) {
    factory = loadSinkFactory(options.factoryModule, options.factoryExport);
    factories.set(key, factory);
  }
  return factory;
}

/**
 * Runs one case and reports what it found; never throws for a failing sink. The case's
 * work directory (checkpoints, savepoints, target scratch space) is kept when it fails.
 */
export async function runConformanceCase(
  name: ConformanceCaseName,
  options: SinkConformanceOptions,
): Promise<ConformanceReport> {
  const body = BODIES[name];
  if (!body)
    throw new TestkitError(
      "TESTKIT_MISUSE",
      `conformance kit: no case "${name}"; cases are ${Object.keys(CONFORMANCE_CASES).join(", ")}`,
    );
  const resolved = resolveOptions(options);
  const began = Date.now();
  await mkdir(resolved.workDirectory, { recursive: true });
  const workDirectory = await mkdtemp(join(resolved.workDirectory, `${name}-`));
  const run = new CaseRun(name, resolved, await factoryOf(resolved), workDirectory);
  let skipped = options.skip?.[name];
  if (skipped === undefined) {
    try {
      skipped = await body(run);
    } catch (error) {
      if (!(error instanceof CaseAborted) || run.failures.length === 0) {
        run.fail(
          "the case",
          `aborted: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
    }
  }
  const ok = run.failures.length === 0;
  const keep = resolved.keepWorkDirectories;
  if (keep === "never" || (ok && keep === "on-failure")) {
    for (const target of run.targets) await run.factory.dropTarget?.(target);
    await rm(workDirectory, { recursive: true, force: true });
  }
  const report = {
    case: name,
    sink: resolved.name,
    ok,
    ...(skipped !== undefined ? { skipped } : {}),
    failures: run.failures,
    notes: run.notes,
    durationMs: Date.now() - began,
    workDirectory,
  };
  return { ...report, text: formatReport(report) };
}

/** Runs the selected cases (all by default), `concurrency` at a time, and reports each. */
export async function runSinkConformance(
  options: SinkConformanceOptions & { readonly concurrency?: number },
): Promise<ConformanceReport[]> {
  const names = selectedCases(options);
  const reports: ConformanceReport[] = new Array(names.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const i = next++;
      reports[i] = await runConformanceCase(names[i] as ConformanceCaseName, options);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return reports;
}
