/**
 * The operator that drives a sink subtask: the writer in the record loop, and a commit
 * lane beside it. On a barrier the writer pre-commits and the new committables join the
 * pending list, which goes into the checkpoint whole (a committable stays there until its
 * commit is confirmed). When a checkpoint completes, the lane commits every pending
 * committable up to it, in checkpoint order, on the committer's own client — never queued
 * behind the writer.
 */
import type { StoredCommittable } from "../checkpoint/metadata.js";
import { BerthError } from "../errors.js";
import { faultPoint } from "../fault-injection.js";
import type { Committer, Json, Sink, SinkContext, SinkWriter } from "../sink/sink.js";
import type { BadRecordHandler } from "./bad-records.js";
import { type CommitSettings, commitWithRetry } from "./commit-with-retry.js";
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from "./operator.js";
import type { SubtaskCounters } from "./operator-metrics.js";
import type { BarrierOptions } from "./stream-element.js";

export interface SinkOperatorSnapshot extends OperatorSnapshot {
  readonly committables: StoredCommittable[];
}

export interface SinkOperatorOptions extends CommitSettings {
  readonly sink: Sink<unknown, Json>;
  readonly context: SinkContext;
  readonly committer: Committer<Json>;
  /** Id of the checkpoint restored from (0 for a fresh start). */
  readonly restoredCheckpointId: number;
  readonly onCommitted: (stored: StoredCommittable, committedNow: boolean) => void;
  /** The sink's bad-record policy, for what `write` rejects. */
  readonly badRecords: BadRecordHandler;
  /** This subtask's counters: the pending committables are shown per sink. */
  readonly counters: SubtaskCounters;
}

export class SinkOperator implements StreamOperator {
  private writer!: SinkWriter<unknown, Json>;
  private pending: StoredCommittable[] = [];
  private lane: Promise<void> = Promise.resolve();
  /** Confirmed since the last snapshot; settled once a checkpoint without them completes. */
  private confirmedSinceSnapshot: StoredCommittable[] = [];
  private readonly settling = new Map<number, StoredCommittable[]>();
  private context!: OperatorContext;
  /** The last barrier this subtask saw: a transaction opened now is closed by a later one. */
  private lastBarrier: number;
  /** Records received since the last barrier: a rejected record's position. */
  private received = 0;

  constructor(private readonly options: SinkOperatorOptions) {
    this.lastBarrier = options.restoredCheckpointId;
    // A new attempt starts with nothing pending (its restored committables were committed).
    options.counters.pendingCommittables = 0;
  }

  async open(context: OperatorContext, restoredOperatorState: Json[]): Promise<void> {
    this.context = context;
    this.writer = await this.options.sink.createWriter(
      { ...this.options.context, subtask: context.subtask, currentCheckpointId: () => this.lastBarrier + 1 },
      restoredOperatorState[0],
    );
    // Stored state needs a version and a parse step, or no later release could read it back.
    if (this.writer.snapshotState && !this.options.sink.writerState) {
      throw new BerthError(
        "PIPELINE_INVALID",
        `sink "${this.options.context.uid}": its writer has snapshotState but the sink declares no writerState codec; add \`writerState: { version, parse }\` to the sink`,
      );
    }
  }

  processRecord(value: unknown, _timestamp: number | undefined, output: Output): void | Promise<void> {
    faultPoint("while-writing");
    // Where the record stands (no object per record on this hot path).
    const afterCheckpoint = this.lastBarrier;
    const index = this.received++;
    try {
      const pending = this.writer.write(value);
      if (pending)
        return pending.catch((error: unknown) => this.rejected(error, value, afterCheckpoint, index, output));
    } catch (error) {
      return this.rejected(error, value, afterCheckpoint, index, output);
    }
  }

  /** What `write` threw for a record: the sink's bad-record policy decides (a target failure is rethrown). */
  private rejected(
    error: unknown,
    record: unknown,
    afterCheckpoint: number,
    index: number,
    output: Output,
  ): void | Promise<void> {
    const position = { subtask: this.context.subtask, afterCheckpoint, index };
    return this.options.badRecords.handle(error, record, position, output);
  }

  processWatermark(): void {}

  async endInput(): Promise<void> {}

  async snapshot(barrier: BarrierOptions): Promise<SinkOperatorSnapshot> {
    this.lastBarrier = barrier.checkpointId;
    this.received = 0;
    await this.writer.flush(barrier.stop === "drain", barrier);
    const committables = await this.writer.prepareCommit();
    const { uid, attemptId } = this.options.context;
    committables.forEach((committable, i) => {
      this.pending.push({
        id: `${uid}/${this.context.subtask}/${attemptId}/${barrier.checkpointId}/${i}`,
        subtask: this.context.subtask,
        checkpointId: barrier.checkpointId,
        attemptId,
        committable,
      });
    });
    this.options.counters.pendingCommittables = this.pending.length;
    faultPoint("after-pre-commit");
    this.settling.set(barrier.checkpointId, this.confirmedSinceSnapshot);
    this.confirmedSinceSnapshot = [];
    const writerState = this.writer.snapshotState?.(barrier.checkpointId);
    return { operatorState: writerState === undefined ? [] : [writerState], committables: [...this.pending] };
  }

  /**
   * Commits every pending committable of checkpoints up to `checkpointId`; resolves when
   * they are all confirmed, rejects with the typed commit error otherwise.
   */
  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    this.lane = this.lane.then(() => this.commitUpTo(checkpointId));
    this.announceSettled(checkpointId);
    return this.lane;
  }

  /** Number of committables up to `checkpointId` not yet confirmed. */
  pendingUpTo(checkpointId: number): number {
    return this.pending.filter((c) => c.checkpointId <= checkpointId).length;
  }

  private async commitUpTo(checkpointId: number): Promise<void> {
    while (true) {
      const next = this.pending[0];
      if (!next || next.checkpointId > checkpointId) return;
      const committedNow = await commitWithRetry(this.options.committer, next, this.options);
      this.pending.shift();
      this.options.counters.pendingCommittables = this.pending.length;
      this.confirmedSinceSnapshot.push(next);
      this.options.onCommitted(next, committedNow);
      faultPoint("mid-commit");
    }
  }

  /** Tells the writer which commits a completed checkpoint now records as done (e.g. to reuse a transaction slot). */
  private announceSettled(checkpointId: number): void {
    const settled: Json[] = [];
    for (const [id, stored] of this.settling) {
      if (id > checkpointId) continue;
      this.settling.delete(id);
      for (const s of stored) settled.push(s.committable as Json);
    }
    const writer = this.writer;
    if (settled.length > 0 && writer.commitsSettled) {
      this.context.enqueueMail(() => writer.commitsSettled?.(settled));
    }
  }

  async close(): Promise<void> {
    await this.writer?.close();
  }
}
