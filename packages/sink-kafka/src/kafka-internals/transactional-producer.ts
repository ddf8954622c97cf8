/**
 * A transactional producer for one transactional id (one slot of a writer's pool) whose
 * producer id and epoch are known, whose transaction can be closed in a pre-committed state,
 * and which is reused for the next transaction once a commit is confirmed — with no
 * InitProducerId per checkpoint.
 *
 * Built from kafkajs's own pieces: its cluster (connections, metadata), its eosManager
 * (producer id, epoch, sequence numbers, per-broker locks, transaction state) and its
 * message producer (batching, partitioning, produce requests, retries). Berth keeps a handle
 * on the eosManager — the thing kafkajs's public producer hides — and takes over two calls:
 * AddPartitionsToTxn (so Berth knows the partitions of the transaction) and EndTxn (so a
 * commit done elsewhere, by a committer on its own connection, can be acknowledged locally
 * without a request). kafkajs's eosManager then never sees a partition, so its own
 * commit/abort only move its state machine back to READY and send nothing.
 */
import type { Kafka } from "kafkajs";
import { DEFAULT_END_TXN_RETRY, type EndTxnRetry, sendEndTxn } from "./end-txn.js";
import { KafkaInternalsError } from "./errors.js";
import {
  type KafkajsInternals,
  type KjsCluster,
  type KjsCreateMessageProducer,
  type KjsEosManager,
  type KjsTopicMessages,
  kafkajsInternals,
} from "./kafkajs-internals.js";
import type { CommitOutcome } from "./outcomes.js";
import type { PreparedTransaction, TransactionAnchor } from "./prepared-transaction.js";
import { commitOpenTransaction } from "./transaction-client.js";
import { DEFAULT_TRANSACTION_LOG_OPTIONS } from "./transaction-log.js";

export interface TransactionalProducerOptions {
  /** `<sinkPrefix>-<subtask>-<slot>`. */
  readonly transactionalId: string;
  /**
   * `transaction.timeout.ms` for this id: the broker aborts a transaction left open longer.
   * Must cover checkpoint interval + checkpoint duration + the longest expected downtime
   * before a restore commits it, and be <= the broker's transaction.max.timeout.ms.
   */
  readonly transactionTimeoutMs: number;
  /** Request timeout of produce requests (ms). kafkajs default 30000. */
  readonly sendTimeoutMs?: number;
  /** kafkajs compression codec (`CompressionTypes`). Default none. */
  readonly compression?: number;
  /**
   * Picks the partition of a message that names none: a kafkajs partitioner function (what a
   * kafkajs `createPartitioner()` returns). Default kafkajs's DefaultPartitioner (Java-compatible).
   */
  readonly partitioner?: (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
  readonly endTxnRetry?: EndTxnRetry;
}

export type TransactionalProducerState =
  /** No transaction: `begin()` opens one. */
  | "ready"
  /** A transaction is open: `send()`, then `prepareCommit()` or `abort()`. */
  | "open"
  /** Pre-committed: `commit()`, `markCommitted()` or `abort()`. */
  | "prepared"
  /** Unusable (a send or EndTxn failed): `close()` it and open a new one. */
  | "broken"
  | "closed";

type MessageProducer = ReturnType<KjsCreateMessageProducer>;

export class TransactionalProducer {
  readonly transactionalId: string;
  readonly #internals: KafkajsInternals;
  readonly #cluster: KjsCluster;
  readonly #eos: KjsEosManager;
  readonly #messages: MessageProducer;
  readonly #options: TransactionalProducerOptions;
  #state: TransactionalProducerState = "ready";
  #brokenBy: unknown;
  /** Partitions added to the open transaction, `topic\0partition` → lowest offset written. */
  #partitions = new Map<string, { topic: string; partition: number; offset: bigint | undefined }>();
  #inFlight = new Set<Promise<unknown>>();
  #failedSend: unknown;

  private constructor(kafka: Kafka, options: TransactionalProducerOptions) {
    this.transactionalId = options.transactionalId;
    this.#options = options;
    this.#internals = kafkajsInternals();
    const internals = this.#internals;
    this.#cluster = internals.createCluster(kafka);
    const logger = internals.loggerOf(kafka).namespace("BerthTransactionalProducer");
    this.#eos = internals.createEosManager({
      logger,
      cluster: this.#cluster,
      transactionTimeout: options.transactionTimeoutMs,
      transactional: true,
      transactionalId: options.transactionalId,
    });
    // The eosManager kafkajs's send path talks to: kafkajs's own, except that partitions are
    // registered by Berth (see the module comment). Its methods are closures, so spreading
    // keeps them bound to kafkajs's state.
    const eosForSends: KjsEosManager = {
      ...this.#eos,
      addPartitionsToTransaction: (topicData) => this.#addPartitions(topicData),
    };
    this.#messages = internals.createMessageProducer({
      logger,
      cluster: this.#cluster,
      partitioner: options.partitioner ?? internals.defaultPartitioner(),
      eosManager: eosForSends,
      idempotent: true,
      // As kafkajs's producer: the client's retry options.
      retrier: internals.createRetry({ ...internals.retryOptionsOf(kafka) }),
      getConnectionStatus: () =>
        this.#state === "closed"
          ? internals.connectionStatus.DISCONNECTED
          : internals.connectionStatus.CONNECTED,
    });
  }

  /**
   * Connects and sends InitProducerId for the transactional id: this fences every older
   * producer of the id and aborts the transaction it holds open. So open a slot's producer
   * only after the restored committables of that id are committed.
   */
  static async open(kafka: Kafka, options: TransactionalProducerOptions): Promise<TransactionalProducer> {
    const producer = new TransactionalProducer(kafka, options);
    try {
      await producer.#cluster.connect();
      await producer.#eos.initProducerId();
    } catch (error) {
      await producer.#cluster.disconnect().catch(() => {});
      throw error;
    }
    return producer;
  }

  get state(): TransactionalProducerState {
    return this.#state;
  }

  get producerId(): string {
    return String(this.#eos.getProducerId());
  }

  get producerEpoch(): number {
    return this.#eos.getProducerEpoch();
  }

  /** Opens a transaction (no request is sent until the first record). */
  begin(): void {
    this.#expect("begin", "ready");
    this.#eos.beginTransaction();
    this.#partitions = new Map();
    this.#failedSend = undefined;
    this.#state = "open";
  }

  /**
   * Sends records into the open transaction; resolves when every partition leader acked
   * them (acks=all). A failed send breaks the producer: abort is then done by fencing.
   */
  async send(topicMessages: KjsTopicMessages[]): Promise<void> {
    this.#expect("send", "open");
    const sending = this.#messages.sendBatch({
      acks: -1,
      topicMessages,
      ...(this.#options.sendTimeoutMs === undefined ? {} : { timeout: this.#options.sendTimeoutMs }),
      ...(this.#options.compression === undefined ? {} : { compression: this.#options.compression }),
    });
    this.#inFlight.add(sending);
    try {
      const written = await sending;
      for (const meta of written) {
        const entry = this.#partitions.get(key(meta.topicName, meta.partition));
        if (entry && meta.baseOffset !== undefined && BigInt(meta.baseOffset) >= 0n) {
          const offset = BigInt(meta.baseOffset);
          if (entry.offset === undefined || offset < entry.offset) entry.offset = offset;
        }
      }
    } catch (error) {
      this.#failedSend ??= error;
      this.#break(error);
      throw error;
    } finally {
      this.#inFlight.delete(sending);
    }
  }

  /**
   * Flushes (waits for every send) and closes the transaction pre-committed: durable, not
   * visible. Returns what commits it from anywhere, or `undefined` when it received no
   * record (then the producer is ready again at once).
   */
  async prepareCommit(): Promise<PreparedTransaction | undefined> {
    this.#expect("prepareCommit", "open");
    await Promise.allSettled([...this.#inFlight]);
    if (this.#failedSend !== undefined) {
      throw new KafkaInternalsError(
        "PRODUCER_BROKEN",
        `a send of transaction ${this.transactionalId} failed; the transaction cannot be pre-committed`,
        { cause: this.#failedSend },
      );
    }
    if (this.#partitions.size === 0) {
      await this.#eos.commit(); // nothing registered with kafkajs: local transition only
      this.#state = "ready";
      return undefined;
    }
    this.#state = "prepared";
    return this.#prepared();
  }

  /** The open or prepared transaction's identity (as `prepareCommit()` returned it). */
  #prepared(): PreparedTransaction {
    let anchor: TransactionAnchor | undefined;
    for (const p of this.#partitions.values()) {
      if (p.offset !== undefined) {
        anchor = { topic: p.topic, partition: p.partition, offset: p.offset.toString() };
        break;
      }
    }
    return {
      transactionalId: this.transactionalId,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      ...(anchor ? { anchor } : {}),
    };
  }

  /**
   * Commits the prepared transaction through this producer's connection. On `committed` or
   * `alreadyCommitted` the producer is ready for the next transaction; on `retryLater` it
   * stays prepared (call again, or commit elsewhere and `markCommitted()`); on a failure it
   * is broken.
   */
  async commit(): Promise<CommitOutcome> {
    this.#expect("commit", "prepared");
    const outcome = await commitOpenTransaction(
      this.#internals,
      this.#cluster,
      this.#prepared(),
      this.#options.endTxnRetry ?? DEFAULT_END_TXN_RETRY,
      DEFAULT_TRANSACTION_LOG_OPTIONS,
    );
    if (outcome.kind === "committed" || outcome.kind === "alreadyCommitted") await this.#endLocally("commit");
    else if (outcome.kind !== "retryLater") this.#break(outcome.cause ?? outcome.reason);
    return outcome;
  }

  /**
   * Acknowledges that the prepared transaction was committed elsewhere (a committer's
   * `resumeAndCommit` answered committed or alreadyCommitted): no request, the producer is
   * ready for the next transaction under the same producer id and epoch.
   */
  async markCommitted(): Promise<void> {
    this.#expect("markCommitted", "prepared");
    await this.#endLocally("commit");
  }

  /**
   * Aborts the open or prepared transaction. When that fails the producer is broken; the
   * transaction is then aborted by the InitProducerId of whatever opens the id next.
   */
  async abort(): Promise<void> {
    this.#expect("abort", "open", "prepared");
    await Promise.allSettled([...this.#inFlight]);
    if (this.#partitions.size > 0) {
      try {
        await sendEndTxn(
          this.#internals,
          this.#cluster,
          this.#prepared(),
          false,
          this.#options.endTxnRetry ?? DEFAULT_END_TXN_RETRY,
        );
      } catch (error) {
        this.#break(error);
        throw new KafkaInternalsError(
          "PRODUCER_BROKEN",
          `aborting transaction ${this.transactionalId} failed`,
          {
            cause: error,
          },
        );
      }
    }
    await this.#endLocally("abort");
    // A failed send may have left kafkajs's sequence numbers out of step with the broker.
    if (this.#failedSend !== undefined) this.#break(this.#failedSend);
  }

  /** Disconnects. An open transaction stays open on the broker until fenced or timed out. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    await Promise.allSettled([...this.#inFlight]);
    await this.#cluster.disconnect();
  }

  async #endLocally(how: "commit" | "abort"): Promise<void> {
    // kafkajs's eosManager saw no partition, so this sends nothing: TRANSACTING -> READY.
    if (how === "commit") await this.#eos.commit();
    else await this.#eos.abort();
    this.#partitions = new Map();
    this.#state = "ready";
  }

  async #addPartitions(topicData: { topic: string; partitions: { partition: number }[] }[]): Promise<void> {
    if (this.#state !== "open") {
      throw new KafkaInternalsError("PRODUCER_STATE", `transaction ${this.transactionalId} is not open`);
    }
    const fresh: { topic: string; partitions: number[] }[] = [];
    for (const { topic, partitions } of topicData) {
      const ps = partitions.map((p) => p.partition).filter((p) => !this.#partitions.has(key(topic, p)));
      if (ps.length > 0) fresh.push({ topic, partitions: ps });
    }
    if (fresh.length === 0) return;
    const coordinator = await this.#cluster.findGroupCoordinator({
      groupId: this.transactionalId,
      coordinatorType: this.#internals.coordinatorTypes.TRANSACTION,
    });
    await coordinator.addPartitionsToTxn({
      transactionalId: this.transactionalId,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      topics: fresh,
    });
    for (const { topic, partitions } of fresh) {
      for (const partition of partitions) {
        if (!this.#partitions.has(key(topic, partition))) {
          this.#partitions.set(key(topic, partition), { topic, partition, offset: undefined });
        }
      }
    }
  }

  #break(cause: unknown): void {
    if (this.#state === "closed") return;
    this.#state = "broken";
    this.#brokenBy ??= cause;
  }

  #expect(call: string, ...states: TransactionalProducerState[]): void {
    if (states.includes(this.#state)) return;
    if (this.#state === "broken") {
      throw new KafkaInternalsError(
        "PRODUCER_BROKEN",
        `transactional producer ${this.transactionalId} is broken; close it and open a new one`,
        { cause: this.#brokenBy },
      );
    }
    throw new KafkaInternalsError(
      "PRODUCER_STATE",
      `cannot ${call}() transactional producer ${this.transactionalId} in state ${this.#state} (needs ${states.join(" or ")})`,
    );
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
