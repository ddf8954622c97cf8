/**
 * The exactly-once writer of one sink subtask (Flink's ExactlyOnceKafkaWriter): records go
 * into a Kafka transaction on one of a small pool of transactional ids
 * (`<sinkPrefix>-<subtask>-<slot>`); a barrier flushes it and leaves it open, pre-committed,
 * for the committer; the next transaction opens lazily, for the first record after the
 * barrier, on a slot whose previous transaction is settled.
 *
 * Slot reuse. A slot's producer keeps its producer id and epoch from one transaction to the
 * next (no InitProducerId per checkpoint), so a slot may only carry a new transaction once
 * nothing can commit its previous one again: when the core reports the commit *settled*
 * (confirmed and recorded in a completed checkpoint, `commitsSettled`). Slots open as needed
 * up to `poolSize`. When all of them hold a pre-committed transaction, the writer must never
 * wait for something that needs its next barrier — settlement, which reaches it through the
 * subtask's mailbox, and any commit whose checkpoint has not completed — since that barrier
 * sits behind the record being written. So:
 *
 * - a slot whose commit the committer already confirmed is reused at once (safe before
 *   settlement: a restore re-commits with `resumeAndCommit`, which reads the transaction's
 *   fate from the log at its anchor before it sends anything; ADR 0001, ADR 0002);
 * - if a commit has begun (its checkpoint is complete), the writer waits for a confirmation,
 *   which the committer reports directly (backpressure while commits are slow);
 * - otherwise the checkpoints of those transactions failed after pre-commit, and the pool
 *   grows by one id, up to `maxPoolSize`; past it the writer fails with
 *   `KAFKA_TRANSACTION_POOL_EXHAUSTED` and the job fails over to its latest checkpoint
 *   (ADR 0008).
 *
 * Neither path lets a barrier overtake a record: the record waits inside `write`, and the
 * barrier behind it in the subtask's input waits for `write` to return.
 */
import type { SinkWriter, SinkWriterContext } from "@berth/core/connector";
import type { Kafka } from "kafkajs";
import type { CommitConfirmations } from "./commit-confirmations.js";
import { KafkaError, messageOf } from "./errors.js";
import { committableKey, type KafkaCommittable } from "./kafka-committable.js";
import { KafkaInternalsError, type TopicMessages, TransactionalProducer } from "./kafka-internals/index.js";
import type { ResolvedKafkaSinkOptions } from "./kafka-sink-options.js";
import type { KafkaWriterState } from "./kafka-writer-state.js";
import { MessageBatch } from "./message-batch.js";
import { recordSerializer, type SerializedRecord } from "./record-serializer.js";

interface Slot {
  readonly index: number;
  readonly transactionalId: string;
  producer: TransactionalProducer | undefined;
  /** The pre-committed transaction awaiting its commit (and its settlement). */
  prepared: { readonly key: string; readonly committable: KafkaCommittable } | undefined;
  /** A `markCommitted` in progress. */
  releasing: Promise<void> | undefined;
}

const CLOSE_TIMEOUT_MS = 5_000;

export class KafkaWriter<T> implements SinkWriter<T, KafkaCommittable, KafkaWriterState> {
  private readonly slots: Slot[] = [];
  private current: { slot: Slot; records: number } | undefined;
  private readonly batch = new MessageBatch();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private readonly serialize: (record: T) => SerializedRecord;
  private readonly closing = new AbortController();
  private warnedFullPool = false;
  private warnedGrowth = false;

  constructor(
    private readonly context: SinkWriterContext,
    private readonly kafka: Kafka,
    private readonly options: ResolvedKafkaSinkOptions<T>,
    private readonly confirmations: CommitConfirmations,
  ) {
    this.serialize = recordSerializer(options);
  }

  write(record: T): void | Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.batch.add(this.serialize(record));
    if (!this.current) return this.openThenSend();
    if (this.batch.records >= this.options.batchRecords || this.batch.bytes >= this.options.batchBytes) {
      return this.send();
    }
  }

  async flush(): Promise<void> {
    if (this.current && this.batch.records > 0) await this.send();
    await Promise.all([...this.inFlight]);
    if (this.failure !== undefined) throw this.failure;
  }

  async prepareCommit(): Promise<KafkaCommittable[]> {
    const current = this.current;
    if (!current) return [];
    await this.flush();
    const producer = current.slot.producer as TransactionalProducer;
    const prepared = await producer.prepareCommit().catch((error: unknown) => {
      throw this.sendFailed(error);
    });
    this.current = undefined;
    if (!prepared) return [];
    if (!prepared.anchor) {
      // acks=all produce answers always carry the base offset; without it a re-commit could not be made safe.
      throw new KafkaError(
        "KAFKA_SEND_FAILED",
        `kafka sink: transaction ${prepared.transactionalId} has no anchor (no produce answer carried an offset); it cannot be committed safely`,
      );
    }
    const committable: KafkaCommittable = {
      transactionalId: prepared.transactionalId,
      producerId: prepared.producerId,
      producerEpoch: prepared.producerEpoch,
      anchor: prepared.anchor,
      attemptId: this.context.attemptId,
      records: current.records,
    };
    current.slot.prepared = { key: committableKey(committable), committable };
    return [committable];
  }

  commitsSettled(committables: KafkaCommittable[]): void {
    for (const c of committables) {
      const key = committableKey(c);
      this.confirmations.forget(key);
      const slot = this.slots.find((s) => s.prepared?.key === key);
      if (slot && !slot.releasing) this.release(slot);
    }
  }

  snapshotState(): KafkaWriterState {
    return {
      version: 1,
      subtask: this.context.subtask,
      parallelism: this.context.parallelism,
      poolSize: this.options.maxPoolSize,
    };
  }

  async close(): Promise<void> {
    this.closing.abort(new KafkaError("KAFKA_SEND_FAILED", "kafka sink: the writer is closing"));
    // Sends to an unreachable broker may take kafkajs's retries to fail: do not hold a failover up.
    await withTimeout(Promise.allSettled([...this.inFlight]), CLOSE_TIMEOUT_MS);
    const current = this.current;
    this.current = undefined;
    // The open transaction never reached a checkpoint: abort it (best effort; the next
    // start's lingering cleanup fences it otherwise). Pre-committed ones stay open for the
    // committer of a restore.
    if (current?.slot.producer && current.records > 0) {
      await withTimeout(current.slot.producer.abort(), CLOSE_TIMEOUT_MS).catch(() => undefined);
    }
    await Promise.allSettled(
      this.slots.map((s) => (s.producer ? withTimeout(s.producer.close(), CLOSE_TIMEOUT_MS) : undefined)),
    );
  }

  // --- transactions ------------------------------------------------------------------------

  private async openThenSend(): Promise<void> {
    const slot = await this.acquireSlot();
    const producer = slot.producer as TransactionalProducer;
    producer.begin();
    this.current = { slot, records: 0 };
    if (this.batch.records >= this.options.batchRecords || this.batch.bytes >= this.options.batchBytes) {
      await this.send();
    }
  }

  /** A slot with no transaction awaiting its commit, its producer open and ready. */
  private async acquireSlot(): Promise<Slot> {
    const slot = this.readySlot() ?? (await this.slotOncePrepared());
    if (slot.releasing) await slot.releasing;
    const state = slot.producer?.state;
    if (state !== "ready") {
      if (slot.producer) await slot.producer.close().catch(() => undefined);
      slot.producer = undefined;
      slot.producer = await this.openProducer(slot.transactionalId);
    }
    return slot;
  }

  /**
   * Without waiting: a free slot, else one being released (its producer is ready in a moment),
   * else a new one below `poolSize`, else one whose commit is confirmed though not yet settled.
   */
  private readySlot(): Slot | undefined {
    const slot = this.slots.find((s) => !s.prepared && !s.releasing) ?? this.slots.find((s) => s.releasing);
    if (slot) return slot;
    if (this.slots.length < this.options.poolSize) return this.newSlot();
    const confirmed = this.slots.find((s) => s.prepared && this.confirmations.has(s.prepared.key));
    if (confirmed) this.reuse(confirmed);
    return confirmed;
  }

  /**
   * Every slot holds a pre-committed transaction. Waiting is safe only for a commit that has
   * begun: its checkpoint is complete and the committer confirms it without this subtask's next
   * barrier. With none begun, the oldest prepared transaction's checkpoint has ended (the
   * barrier of a later one passed this subtask; checkpoints run one at a time) without
   * completing: it failed, and the next one needs the barrier queued behind this record.
   */
  private async slotOncePrepared(): Promise<Slot> {
    const keys = this.slots.flatMap((s) => (s.prepared ? [s.prepared.key] : []));
    if (keys.some((key) => this.confirmations.hasBegun(key))) return this.waitForSlot(keys);
    const { maxPoolSize } = this.options;
    if (this.slots.length >= maxPoolSize) {
      throw new KafkaError(
        "KAFKA_TRANSACTION_POOL_EXHAUSTED",
        `kafka sink: all ${maxPoolSize} transactional ids of subtask ${this.context.subtask} (maxPoolSize) hold pre-committed transactions whose checkpoints failed; the job fails over to its latest checkpoint. Fix what fails the checkpoints (see "checkpoint failed" in the log), or raise maxPoolSize to ride out longer checkpoint outages`,
      );
    }
    const slot = this.newSlot();
    if (!this.warnedGrowth) {
      this.warnedGrowth = true;
      this.context.log.warn(
        `kafka sink: checkpoints failed after pre-commit and every transactional id of subtask ${this.context.subtask} awaits a commit; opening ${slot.transactionalId} (the pool grows up to maxPoolSize ${maxPoolSize}, then the job fails over)`,
      );
    }
    return slot;
  }

  private newSlot(): Slot {
    const index = this.slots.length;
    const slot: Slot = {
      index,
      transactionalId: this.context.names.pooled({ subtask: this.context.subtask, slot: index }),
      producer: undefined,
      prepared: undefined,
      releasing: undefined,
    };
    this.slots.push(slot);
    return slot;
  }

  /** Commits are under way but slow: wait until one is confirmed, then reuse its slot. */
  private async waitForSlot(keys: readonly string[]): Promise<Slot> {
    if (!this.warnedFullPool) {
      this.warnedFullPool = true;
      this.context.log.warn(
        `kafka sink: all ${this.slots.length} transactional ids of subtask ${this.context.subtask} await their commit; writing waits for one (raise poolSize if this repeats)`,
      );
    }
    const key = await this.confirmations.waitForAny(keys, this.closing.signal);
    const slot = this.slots.find((s) => s.prepared?.key === key) as Slot;
    this.reuse(slot);
    return slot;
  }

  /** Takes a slot whose commit is confirmed, before the core reports it settled. */
  private reuse(slot: Slot): void {
    this.confirmations.forget((slot.prepared as { key: string }).key);
    this.release(slot);
  }

  /** The slot's transaction is committed: its producer may run the next one (no request is sent). */
  private release(slot: Slot): void {
    const producer = slot.producer;
    slot.releasing = (async () => {
      if (producer?.state === "prepared") await producer.markCommitted().catch(() => undefined);
    })().finally(() => {
      slot.prepared = undefined;
      slot.releasing = undefined;
    });
  }

  private async openProducer(transactionalId: string): Promise<TransactionalProducer> {
    try {
      return await TransactionalProducer.open(this.kafka, {
        transactionalId,
        transactionTimeoutMs: this.options.transactionTimeoutMs,
        compression: this.options.compression,
        ...(this.options.partitioner
          ? { partitioner: this.options.partitioner() as (args: unknown) => number }
          : {}),
      });
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type === "INVALID_TRANSACTION_TIMEOUT") {
        throw new KafkaError(
          "KAFKA_TRANSACTION_TIMEOUT_INVALID",
          `kafka sink: the broker refused transactionTimeoutMs ${this.options.transactionTimeoutMs} for ${transactionalId} (INVALID_TRANSACTION_TIMEOUT): it exceeds the brokers' transaction.max.timeout.ms; lower transactionTimeoutMs or raise transaction.max.timeout.ms`,
          { cause: error },
        );
      }
      throw new KafkaError(
        "KAFKA_SEND_FAILED",
        `kafka sink: cannot open the transactional producer ${transactionalId}: ${messageOf(error)}`,
        { cause: error },
      );
    }
  }

  // --- sending -------------------------------------------------------------------------------

  private async send(): Promise<void> {
    const current = this.current as { slot: Slot; records: number };
    const records = this.batch.records;
    const topicMessages = this.batch.take() as TopicMessages[];
    current.records += records;
    const producer = current.slot.producer as TransactionalProducer;
    const sending = producer.send(topicMessages).catch((error: unknown) => {
      this.failure ??= this.sendFailed(error);
    });
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
    if (this.inFlight.size >= this.options.maxInFlightBatches) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  private sendFailed(error: unknown): KafkaError {
    if (error instanceof KafkaError) return error;
    const root = error instanceof KafkaInternalsError && error.cause !== undefined ? error.cause : error;
    const type = (root as { type?: string }).type;
    const hint =
      type === "MESSAGE_TOO_LARGE" || type === "RECORD_LIST_TOO_LARGE"
        ? " A record exceeds the topic's max.message.bytes: lower maxRecordBytes to match it (records are then refused before they are sent), or raise max.message.bytes."
        : type === "UNKNOWN_TOPIC_OR_PARTITION"
          ? " The topic does not exist: create it (the sink never creates topics)."
          : "";
    return new KafkaError(
      "KAFKA_SEND_FAILED",
      `kafka sink: subtask ${this.context.subtask} could not write into its transaction: ${messageOf(root)}.${hint} The transaction is not pre-committed; the job fails over to its latest checkpoint`,
      { cause: error },
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
