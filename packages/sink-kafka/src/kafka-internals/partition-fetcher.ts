/**
 * Fetches assigned partitions at given offsets with `read_committed` isolation, without a
 * consumer group: the Kafka source's fetch loop. kafkajs's consumer only reads partitions a
 * group assigns it; a source needs a static assignment (its splits) and positions kept in
 * checkpoint state, so this sends Fetch requests itself through a kafkajs cluster and broker
 * (the same internals the transaction log reader uses).
 *
 * The broker answers a `read_committed` fetch with records below the last stable offset,
 * aborted ones included, and lists the aborted transactions overlapping the range; they are
 * dropped here (as every Kafka consumer does), and so are control records (commit and abort
 * markers). The position still moves past both, so a partition whose last offset is a marker
 * reaches its end, and so does a record batch that compaction emptied (kept for its producer's
 * state): the position moves to the end of the last whole batch, records or not, as Kafka's
 * Java consumer does.
 */
import type { Kafka } from "kafkajs";
import {
  type KafkajsInternals,
  type KjsCluster,
  type KjsFetchedRecord,
  type KjsFetchPartition,
  kafkajsInternals,
} from "./kafkajs-internals.js";
import { refreshIfStale } from "./stale-metadata.js";

export interface FetchPosition {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly offset: bigint;
}

export interface FetchedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | Buffer[]>>;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

export interface PartitionFetch {
  readonly topic: string;
  readonly partition: number;
  /** Committed data records, in offset order (aborted records and markers removed). */
  readonly messages: FetchedMessage[];
  /** Where to fetch next: past every record returned, markers and aborted records included. */
  readonly nextOffset: bigint;
  readonly lastStableOffset: bigint;
  readonly highWatermark: bigint;
}

export interface FetchResult {
  readonly partitions: PartitionFetch[];
  /** Partitions whose position is outside the log (deleted by retention, or truncated). */
  readonly outOfRange: { readonly topic: string; readonly partition: number }[];
}

export interface PartitionFetcherOptions {
  /** Bytes asked per partition and fetch. Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  /** Bytes asked per fetch request. Default 16 MiB. */
  readonly maxBytes?: number;
}

/** Fetch errors after which the next attempt needs fresh metadata (the leader moved). */
export class PartitionFetcher {
  readonly #internals: KafkajsInternals;
  readonly #cluster: KjsCluster;
  readonly #maxBytesPerPartition: number;
  readonly #maxBytes: number;
  readonly #topics = new Set<string>();

  private constructor(kafka: Kafka, options: PartitionFetcherOptions) {
    this.#internals = kafkajsInternals();
    this.#cluster = this.#internals.createCluster(kafka);
    this.#maxBytesPerPartition = options.maxBytesPerPartition ?? 1024 * 1024;
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  /** A fetcher on its own connections; connects at the first fetch. */
  static create(kafka: Kafka, options: PartitionFetcherOptions = {}): PartitionFetcher {
    return new PartitionFetcher(kafka, options);
  }

  /**
   * One fetch per partition leader, in parallel; resolves with what each partition holds at
   * its position (possibly nothing, after waiting up to `maxWaitMs` for data). Throws
   * kafkajs's error when a leader cannot be asked (after refreshing metadata where that helps).
   */
  async fetch(positions: readonly FetchPosition[], maxWaitMs: number): Promise<FetchResult> {
    if (!this.#cluster.isConnected()) await this.#cluster.connect();
    for (const { topic } of positions) {
      if (!this.#topics.has(topic)) {
        await this.#cluster.addTargetTopic(topic);
        this.#topics.add(topic);
      }
    }
    const byLeader = new Map<string, FetchPosition[]>();
    for (const position of positions) {
      const leaders = this.#cluster.findLeaderForPartitions(position.topic, [position.partition]);
      const nodeId = Object.keys(leaders)[0];
      if (nodeId === undefined) {
        await this.#cluster.refreshMetadata();
        throw Object.assign(new Error(`no leader known for ${position.topic}-${position.partition}`), {
          name: "KafkaJSBrokerNotFound",
          retriable: true,
        });
      }
      const list = byLeader.get(nodeId) ?? [];
      list.push(position);
      byLeader.set(nodeId, list);
    }
    const answers = await Promise.all(
      [...byLeader].map(([nodeId, list]) => this.#fetchFrom(nodeId, list, maxWaitMs)),
    );
    return {
      partitions: answers.flatMap((a) => a.partitions),
      outOfRange: answers.flatMap((a) => a.outOfRange),
    };
  }

  async close(): Promise<void> {
    await this.#cluster.disconnect();
  }

  async #fetchFrom(nodeId: string, positions: FetchPosition[], maxWaitMs: number): Promise<FetchResult> {
    const topics = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
    for (const p of positions) {
      const list = topics.get(p.topic) ?? [];
      list.push({
        partition: p.partition,
        fetchOffset: p.offset.toString(),
        maxBytes: this.#maxBytesPerPartition,
      });
      topics.set(p.topic, list);
    }
    let response: Awaited<ReturnType<Awaited<ReturnType<KjsCluster["findBroker"]>>["fetch"]>>;
    try {
      const broker = await this.#cluster.findBroker({ nodeId });
      response = await broker.fetch({
        replicaId: -1,
        isolationLevel: this.#internals.isolationLevel.READ_COMMITTED,
        maxWaitTime: maxWaitMs,
        minBytes: 1,
        maxBytes: this.#maxBytes,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      });
    } catch (error) {
      const e = error as { name?: string; type?: string; topic?: string; partition?: number };
      if (e.name === "KafkaJSOffsetOutOfRange" && e.topic !== undefined && e.partition !== undefined) {
        return { partitions: [], outOfRange: [{ topic: e.topic, partition: e.partition }] };
      }
      await refreshIfStale(error, this.#cluster);
      throw error;
    }
    const start = new Map(positions.map((p) => [`${p.topic}\u0000${p.partition}`, p.offset]));
    const partitions: PartitionFetch[] = [];
    for (const topicResponse of response.responses) {
      for (const partition of topicResponse.partitions) {
        const from = start.get(`${topicResponse.topicName}\u0000${partition.partition}`);
        if (from === undefined) continue;
        partitions.push(committedRecords(topicResponse.topicName, partition, from));
      }
    }
    return { partitions, outOfRange: [] };
  }
}

/**
 * The committed data records of one partition's answer from `from` on, and the next offset.
 * Aborted transactions: the broker lists `{producerId, firstOffset}` of every aborted
 * transaction overlapping the range; a record of such a producer inside a transaction is
 * aborted from that first offset until the producer's abort marker.
 */
export function committedRecords(topic: string, partition: KjsFetchPartition, from: bigint): PartitionFetch {
  const pendingAborts = [...partition.abortedTransactions]
    .map((a) => ({ producerId: a.producerId, firstOffset: BigInt(a.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const aborting = new Set<string>();
  const messages: FetchedMessage[] = [];
  let next = from;
  for (const record of partition.messages as KjsFetchedRecord[]) {
    const offset = BigInt(record.offset);
    if (offset < from) continue;
    while (pendingAborts.length > 0 && (pendingAborts[0] as { firstOffset: bigint }).firstOffset <= offset) {
      aborting.add((pendingAborts.shift() as { producerId: string }).producerId);
    }
    next = offset + 1n;
    const { producerId, inTransaction, isControlBatch } = record.batchContext;
    if (isControlBatch || record.isControlRecord) {
      // Control record key: version (int16), type (int16): 0 = abort, 1 = commit.
      if (record.key && record.key.length >= 4 && record.key.readInt16BE(2) === 0)
        aborting.delete(producerId);
      continue;
    }
    if (inTransaction && aborting.has(producerId)) continue;
    messages.push({
      topic,
      partition: partition.partition,
      offset: record.offset,
      key: record.key,
      value: record.value,
      headers: record.headers ?? {},
      timestamp: Number(record.timestamp ?? 0),
    });
  }
  const batchesEnd = partition.messages.nextBatchOffset;
  if (batchesEnd !== undefined && BigInt(batchesEnd) > next) next = BigInt(batchesEnd);
  return {
    topic,
    partition: partition.partition,
    messages,
    nextOffset: next,
    lastStableOffset: BigInt(partition.lastStableOffset),
    highWatermark: BigInt(partition.highWatermark),
  };
}
