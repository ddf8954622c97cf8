/**
 * Reads a transaction's fate from the partition log, starting at its anchor (its first
 * record in one partition). The coordinator's answer to EndTxn cannot tell "committed, then
 * the epoch moved on" from "aborted", and with a reused transactional id the same producer
 * id and epoch may already carry the *next* transaction. The log can: every transaction ends
 * with one control batch (commit or abort marker) from its producer id in each of its
 * partitions, and a producer has at most one open transaction, so the first marker of that
 * producer id after the anchor is this transaction's.
 */
import { KafkaInternalsError } from "./errors.js";
import type { KafkajsInternals, KjsCluster, KjsFetchPartition } from "./kafkajs-internals.js";
import type { PreparedTransaction, TransactionAnchor } from "./prepared-transaction.js";
import { refreshIfStale } from "./stale-metadata.js";

export type LoggedOutcome =
  | { readonly kind: "committed" }
  | { readonly kind: "aborted" }
  /** No marker yet: the transaction is still open (it can be committed or aborted). */
  | { readonly kind: "open" }
  /** Other transactions hold the last stable offset and the scan limit was reached: ask later. */
  | { readonly kind: "undecided"; readonly reason: string }
  /** No anchor, or its record is gone (retention, deleted topic) or not this producer's. */
  | { readonly kind: "unavailable"; readonly reason: string };

export interface TransactionLogOptions {
  /** Upper bound of bytes read scanning for the marker when the partition is not stable. */
  readonly maxScanBytes: number;
  /** Bytes asked per fetch. */
  readonly fetchBytes: number;
}

export const DEFAULT_TRANSACTION_LOG_OPTIONS: TransactionLogOptions = {
  maxScanBytes: 256 * 1024 * 1024,
  fetchBytes: 1024 * 1024,
};

/** Fetch errors after which the next attempt needs fresh metadata (the leader moved). */
/** Control record key: version (int16) then type (int16): 0 = abort, 1 = commit. */
const CONTROL_TYPE_ABORT = 0;
const CONTROL_TYPE_COMMIT = 1;

export async function readTransactionOutcome(
  internals: KafkajsInternals,
  cluster: KjsCluster,
  tx: PreparedTransaction,
  options: TransactionLogOptions = DEFAULT_TRANSACTION_LOG_OPTIONS,
): Promise<LoggedOutcome> {
  const anchor = tx.anchor;
  if (!anchor) return { kind: "unavailable", reason: "the prepared transaction has no anchor" };
  const start = BigInt(anchor.offset);

  const fetchAt = async (
    offset: bigint,
    isolationLevel: number,
  ): Promise<KjsFetchPartition | "outOfRange"> => {
    try {
      await cluster.addTargetTopic(anchor.topic);
      const leaders = cluster.findLeaderForPartitions(anchor.topic, [anchor.partition]);
      const nodeId = Object.keys(leaders)[0];
      if (nodeId === undefined) {
        await cluster.refreshMetadata();
        throw Object.assign(new Error(`no leader known for ${anchor.topic}-${anchor.partition}`), {
          name: "KafkaJSBrokerNotFound",
        });
      }
      const broker = await cluster.findBroker({ nodeId });
      const response = await broker.fetch({
        replicaId: -1,
        isolationLevel,
        maxWaitTime: 0,
        minBytes: 1,
        maxBytes: options.fetchBytes,
        topics: [
          {
            topic: anchor.topic,
            partitions: [
              { partition: anchor.partition, fetchOffset: offset.toString(), maxBytes: options.fetchBytes },
            ],
          },
        ],
      });
      const partition = response.responses[0]?.partitions.find((p) => p.partition === anchor.partition);
      if (!partition)
        throw new KafkaInternalsError(
          "BROKER_ANSWER_INVALID",
          `fetch answered without ${anchor.topic}-${anchor.partition}`,
        );
      return partition;
    } catch (error) {
      const e = error as { type?: string; name?: string };
      if (e.name === "KafkaJSOffsetOutOfRange" || e.type === "OFFSET_OUT_OF_RANGE") return "outOfRange";
      await refreshIfStale(error, cluster);
      throw error;
    }
  };

  const gone = (why: string): LoggedOutcome => ({ kind: "unavailable", reason: `${where(anchor)}: ${why}` });

  // 1. Cheap path: a read_committed fetch. Once the last stable offset is past the anchor the
  //    transaction is decided, and the broker lists the aborted transactions that overlap.
  const committedRead = await fetchAt(start, internals.isolationLevel.READ_COMMITTED);
  if (committedRead === "outOfRange") return gone("offset out of range (deleted by retention?)");
  if (BigInt(committedRead.lastStableOffset) > start) {
    const first = committedRead.messages.find((r) => BigInt(r.offset) === start);
    if (!first) return gone("no record at the anchor offset (compacted or deleted?)");
    if (first.batchContext.producerId !== tx.producerId || first.batchContext.isControlBatch) {
      return gone(`the record there was written by producer ${first.batchContext.producerId}`);
    }
    // An aborted transaction of this producer that started at or before the anchor and
    // reaches it (the broker only lists those overlapping the fetched range) is this one.
    const aborted = committedRead.abortedTransactions.some(
      (a) => a.producerId === tx.producerId && BigInt(a.firstOffset) <= start,
    );
    return { kind: aborted ? "aborted" : "committed" };
  }

  // 2. The partition is not stable at the anchor: this transaction, or another one that
  //    started earlier, is open. Scan read_uncommitted for this producer's marker.
  let offset = start;
  let scanned = 0;
  let verified = false;
  for (;;) {
    const read = await fetchAt(offset, internals.isolationLevel.READ_UNCOMMITTED);
    if (read === "outOfRange") return gone("offset out of range (deleted by retention?)");
    let progressed = false;
    for (const record of read.messages) {
      const at = BigInt(record.offset);
      if (at < offset) continue;
      if (!verified) {
        if (at !== start) return gone("no record at the anchor offset (compacted or deleted?)");
        if (record.batchContext.producerId !== tx.producerId || record.batchContext.isControlBatch) {
          return gone(`the record there was written by producer ${record.batchContext.producerId}`);
        }
        verified = true;
      }
      if (record.batchContext.isControlBatch && record.batchContext.producerId === tx.producerId) {
        const type = record.key && record.key.length >= 4 ? record.key.readInt16BE(2) : -1;
        if (type === CONTROL_TYPE_COMMIT) return { kind: "committed" };
        if (type === CONTROL_TYPE_ABORT) return { kind: "aborted" };
      }
      offset = at + 1n;
      progressed = true;
      scanned += (record.key?.length ?? 0) + (record.value?.length ?? 0) + 16;
    }
    if (offset >= BigInt(read.highWatermark))
      return verified ? { kind: "open" } : gone("no record at the anchor");
    if (!progressed) {
      return { kind: "undecided", reason: `${where(anchor)}: no readable record at offset ${offset}` };
    }
    if (scanned > options.maxScanBytes) {
      return {
        kind: "undecided",
        reason: `${where(anchor)}: no marker within ${options.maxScanBytes} bytes while other transactions are open`,
      };
    }
  }
}

function where(anchor: TransactionAnchor): string {
  return `${anchor.topic}-${anchor.partition}@${anchor.offset}`;
}
