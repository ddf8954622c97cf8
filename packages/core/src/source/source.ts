/**
 * The source contract. A source's work is divided into splits (a Kafka partition, one
 * residue class of a sequence, a file); each split's position is checkpointed, and on
 * restore the splits are dealt round-robin to the subtasks of the new parallelism, so a
 * source may change parallelism.
 */
import type { Json, SinkLog } from "../sink/sink.js";

export interface SourceRecord<T> {
  readonly value: T;
  /** Event time in epoch milliseconds, used by watermarks (optional). */
  readonly timestamp?: number;
}

export interface SourceReaderContext {
  readonly subtask: number;
  readonly parallelism: number;
  /** The job's id and the source's uid: what a reader may name itself by outside (a consumer group). */
  readonly jobId: string;
  readonly uid: string;
  readonly log: SinkLog;
}

/** One poll: records to emit, or `ended` when every split of this reader is exhausted. */
export type SourcePoll<T> = { readonly records: readonly SourceRecord<T>[] } | { readonly ended: true };

export interface SourceReader<T> {
  /**
   * Next batch. May wait for data; should return within about a second even when idle
   * (an empty batch) so checkpoints and stops are not delayed.
   */
  poll(): Promise<SourcePoll<T>>;
  /** Positions of this reader's splits after the last record returned by `poll`, for checkpoint `checkpointId`. */
  snapshotSplits(checkpointId: number): Json[];
  /**
   * Optional: checkpoint `checkpointId` (periodic, or a stop's savepoint) is complete, so its
   * positions are durable and may be reported outside (Kafka's consumer-group offsets). Never
   * part of the checkpoint: it must not throw, and it should settle within seconds — the core
   * waits for it only at a stop, within the stop's commit deadline.
   */
  notifyCheckpointComplete?(checkpointId: number): Promise<void>;
  close(): Promise<void>;
}

export interface Source<T> {
  readonly kind: string;
  /** Splits of a fresh start (no restored state) for a source of the given parallelism. */
  initialSplits(parallelism: number): Promise<Json[]>;
  /** A reader over the given splits (each from `initialSplits` or a snapshot). */
  createReader(context: SourceReaderContext, splits: Json[]): Promise<SourceReader<T>>;
}
