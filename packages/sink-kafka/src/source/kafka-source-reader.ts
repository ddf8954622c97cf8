/**
 * Reads one subtask's splits (topic partitions) with a fetch loop: `read_committed` fetches at
 * the checkpointed positions (no consumer group membership), records handed out in offset order
 * per partition, positions advanced past every record handed out — and past markers and aborted
 * records — so a snapshot is exactly "after the last record returned". Splits discovered while
 * running join the loop; checkpointed positions are reported to the consumer group once their
 * checkpoint completes.
 */
import type { SourcePoll, SourceReader, SourceRecord } from "@berth/core";
import type { Json, SinkLog } from "@berth/core/connector";
import type { Kafka } from "kafkajs";
import { KafkaError, messageOf } from "../errors.js";
import { type FetchedMessage, PartitionFetcher } from "../kafka-internals/index.js";
import type { CheckpointOffsets } from "./group-offsets.js";
import type { ResolvedKafkaSourceOptions } from "./kafka-source-options.js";
import { type KafkaSplit, splitName } from "./kafka-split.js";
import type { DiscoveringReader, PartitionDiscovery } from "./partition-discovery.js";

interface SplitState {
  readonly topic: string;
  readonly partition: number;
  /** Position after the last record handed out (the checkpointed offset). */
  offset: bigint;
  readonly stoppingOffset: bigint | undefined;
  /** Fetched, not yet handed out. */
  pending: FetchedMessage[];
  /** Where the last fetch of this split ended; the position once `pending` is handed out. */
  fetchedTo: bigint;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function splitState(s: KafkaSplit): SplitState {
  return {
    topic: s.topic,
    partition: s.partition,
    offset: BigInt(s.offset),
    stoppingOffset: s.stoppingOffset === undefined ? undefined : BigInt(s.stoppingOffset),
    pending: [],
    fetchedTo: BigInt(s.offset),
  };
}

export interface KafkaSourceReaderServices {
  readonly subtask: number;
  readonly log: SinkLog;
  /** Unbounded sources with discovery on: finds partitions added since the start. */
  readonly discovery?: PartitionDiscovery | undefined;
  /** With `commitOffsets`: reports checkpointed positions to the consumer group. */
  readonly offsets?: CheckpointOffsets | undefined;
}

export class KafkaSourceReader<T> implements SourceReader<T>, DiscoveringReader {
  private readonly splits: SplitState[];
  private fetcher: PartitionFetcher | undefined;
  private failingSince: number | undefined;
  private backoffMs = 100;
  private cursor = 0;
  readonly subtask: number;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ResolvedKafkaSourceOptions<T>,
    splits: readonly KafkaSplit[],
    private readonly services: KafkaSourceReaderServices,
  ) {
    this.splits = splits.map(splitState);
    this.subtask = services.subtask;
  }

  holds(topic: string, partition: number): boolean {
    return this.splits.some((s) => s.topic === topic && s.partition === partition);
  }

  /** A partition found by discovery: read from the next poll on, checkpointed from the next barrier on. */
  addSplit(split: KafkaSplit): void {
    if (!this.holds(split.topic, split.partition)) this.splits.push(splitState(split));
  }

  private finished(split: SplitState): boolean {
    return (
      split.stoppingOffset !== undefined && split.offset >= split.stoppingOffset && split.pending.length === 0
    );
  }

  async poll(): Promise<SourcePoll<T>> {
    this.services.discovery?.tick(this.services.log);
    const live = this.splits.filter((s) => !this.finished(s));
    if (live.length === 0) {
      if (this.options.bounded) return { ended: true };
      await sleep(this.options.maxWaitMs);
      return { records: [] };
    }
    if (!live.some((s) => s.pending.length > 0)) {
      const fetched = await this.fetch(live);
      if (!fetched) return { records: [] };
    }
    return { records: this.handOut() };
  }

  /** Up to maxRecordsPerPoll pending records, taking from each split in turn. */
  private handOut(): SourceRecord<T>[] {
    const records: SourceRecord<T>[] = [];
    const max = this.options.maxRecordsPerPoll;
    const n = this.splits.length;
    for (let i = 0; i < n && records.length < max; i++) {
      const split = this.splits[(this.cursor + i) % n] as SplitState;
      while (split.pending.length > 0 && records.length < max) {
        const message = split.pending.shift() as FetchedMessage;
        records.push({ value: this.deserialize(message), timestamp: message.timestamp });
        split.offset = BigInt(message.offset) + 1n;
      }
      if (split.pending.length === 0 && split.fetchedTo > split.offset) split.offset = split.fetchedTo;
    }
    this.cursor = (this.cursor + 1) % Math.max(1, n);
    return records;
  }

  private deserialize(message: FetchedMessage): T {
    try {
      return this.options.deserializer(message);
    } catch (error) {
      throw new KafkaError(
        "KAFKA_SOURCE_RECORD_INVALID",
        `kafka source: the deserializer threw on ${message.topic}-${message.partition}@${message.offset} (${messageOf(error)}); fix it or make it tolerate such records, then restore from the latest checkpoint (the record is read again)`,
        { cause: error },
      );
    }
  }

  /** One fetch round over the live splits; false when it failed and will be retried. */
  private async fetch(live: SplitState[]): Promise<boolean> {
    this.fetcher ??= PartitionFetcher.create(this.kafka, {
      maxBytesPerPartition: this.options.maxBytesPerPartition,
    });
    let result: Awaited<ReturnType<PartitionFetcher["fetch"]>>;
    try {
      result = await this.fetcher.fetch(
        live.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.offset })),
        this.options.maxWaitMs,
      );
    } catch (error) {
      const now = Date.now();
      this.failingSince ??= now;
      if (now - this.failingSince > this.options.fetchFailureTimeoutMs) {
        throw new KafkaError(
          "KAFKA_SOURCE_FETCH_FAILED",
          `kafka source: fetching ${live.map(splitName).join(", ")} kept failing for ${now - this.failingSince} ms: ${messageOf(error)}`,
          { cause: error },
        );
      }
      await sleep(this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 1_000);
      return false;
    }
    this.failingSince = undefined;
    this.backoffMs = 100;
    for (const gone of result.outOfRange) {
      const split = live.find((s) => s.topic === gone.topic && s.partition === gone.partition);
      if (split) await this.outOfRange(split);
    }
    for (const p of result.partitions) {
      const split = live.find((s) => s.topic === p.topic && s.partition === p.partition);
      if (!split || p.nextOffset <= split.offset) continue;
      const stop = split.stoppingOffset;
      split.pending = stop === undefined ? p.messages : p.messages.filter((m) => BigInt(m.offset) < stop);
      split.fetchedTo = stop !== undefined && p.nextOffset > stop ? stop : p.nextOffset;
    }
    return true;
  }

  private async outOfRange(split: SplitState): Promise<void> {
    if (this.options.offsetOutOfRange === "fail") {
      throw new KafkaError(
        "KAFKA_SOURCE_FETCH_FAILED",
        `kafka source: offset ${split.offset} of ${splitName(split)} is no longer in the log (deleted by retention?); the records between it and the log's start are gone. Set offsetOutOfRange: "earliest" to go on from the log's first offset`,
      );
    }
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(split.topic);
      const low = offsets.find((o) => o.partition === split.partition)?.low;
      if (low !== undefined && BigInt(low) > split.offset) {
        split.offset = BigInt(low);
        split.fetchedTo = split.offset;
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  snapshotSplits(checkpointId: number): Json[] {
    this.services.offsets?.remember(
      checkpointId,
      this.splits.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.offset })),
    );
    return this.splits.map((s) => ({
      topic: s.topic,
      partition: s.partition,
      offset: s.offset.toString(),
      ...(s.stoppingOffset !== undefined ? { stoppingOffset: s.stoppingOffset.toString() } : {}),
    }));
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    await this.services.offsets?.completed(checkpointId);
  }

  async close(): Promise<void> {
    this.services.discovery?.unregister(this);
    await this.services.offsets?.close();
    await this.fetcher?.close().catch(() => undefined);
  }
}
