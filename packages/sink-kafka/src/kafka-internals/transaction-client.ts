/**
 * Ends pre-committed transactions without the producer that opened them: EndTxn with the
 * stored producer id and epoch, sent straight to the transaction coordinator, after reading
 * the transaction's fate from the log (see transaction-log.ts). Also fences transactional
 * ids (InitProducerId), which aborts whatever they hold open.
 *
 * Owns its own kafkajs cluster (connections), so a committer is never queued behind a writer.
 */
import type { Kafka } from "kafkajs";
import { DEFAULT_END_TXN_RETRY, type EndTxnRetry, sendEndTxn } from "./end-txn.js";
import { type KafkajsInternals, type KjsCluster, kafkajsInternals } from "./kafkajs-internals.js";
import {
  type AbortOutcome,
  type CommitOutcome,
  classifyEndTxnError,
  type EndTxnErrorClass,
  errorText,
} from "./outcomes.js";
import { describePreparedTransaction, type PreparedTransaction } from "./prepared-transaction.js";
import {
  describeTransaction,
  listTransactions,
  type TransactionDescription,
  type TransactionListing,
  type TransactionState,
} from "./transaction-admin.js";
import {
  DEFAULT_TRANSACTION_LOG_OPTIONS,
  type LoggedOutcome,
  readTransactionOutcome,
  type TransactionLogOptions,
} from "./transaction-log.js";

export interface TransactionClientOptions {
  /**
   * Attempts for EndTxn answers that clear up within milliseconds (CONCURRENT_TRANSACTIONS
   * while the previous markers are written, NOT_COORDINATOR while the coordinator moves)
   * before answering `retryLater`. Default 10.
   */
  readonly endTxnAttempts?: number;
  /** Pause between those attempts, doubled each time. Default 50 ms. */
  readonly endTxnBackoffMs?: number;
  /** Limits of the log scan (see transaction-log.ts). */
  readonly log?: Partial<TransactionLogOptions>;
}

/** The producer id and epoch a transactional id holds after InitProducerId. */
export interface ProducerIdentity {
  readonly producerId: string;
  readonly producerEpoch: number;
}

export class TransactionClient {
  readonly #internals: KafkajsInternals;
  readonly #kafka: Kafka;
  readonly #cluster: KjsCluster;
  readonly #retry: EndTxnRetry;
  readonly #log: TransactionLogOptions;

  private constructor(kafka: Kafka, options: TransactionClientOptions) {
    this.#internals = kafkajsInternals();
    this.#kafka = kafka;
    this.#cluster = this.#internals.createCluster(kafka);
    this.#retry = {
      attempts: Math.max(1, options.endTxnAttempts ?? DEFAULT_END_TXN_RETRY.attempts),
      backoffMs: Math.max(0, options.endTxnBackoffMs ?? DEFAULT_END_TXN_RETRY.backoffMs),
    };
    this.#log = { ...DEFAULT_TRANSACTION_LOG_OPTIONS, ...options.log };
  }

  /** A client on its own connections. Connects lazily; nothing is sent until a call. */
  static create(kafka: Kafka, options: TransactionClientOptions = {}): TransactionClient {
    return new TransactionClient(kafka, options);
  }

  /**
   * Commits a pre-committed transaction idempotently. Reads the log first: a commit marker
   * answers `alreadyCommitted` without touching the coordinator (the transactional id may
   * already carry the next transaction under the same epoch), an abort marker answers
   * `failedKnown("aborted")`; only a transaction still open (or one whose anchor is gone)
   * gets EndTxn(commit).
   */
  async resumeAndCommit(tx: PreparedTransaction): Promise<CommitOutcome> {
    const name = describePreparedTransaction(tx);
    const logged = await this.#logBeforeEnd(tx, name);
    if (logged === "aborted") return abortedOutcome(name, "the log holds its abort marker");
    if (logged !== "open") return logged;
    return commitOpenTransaction(this.#internals, this.#cluster, tx, this.#retry, this.#log);
  }

  /**
   * Commits a pre-committed transaction whose transactional id has **not** been reused since
   * (a committable of this run, whose slot the writer keeps prepared until the commit is
   * confirmed): EndTxn(commit) first, the log is read only when the coordinator refuses.
   * Cheap on the steady-state path — {@link resumeAndCommit} may have to read the whole open
   * transaction back from the log. Re-committing an already committed one answers
   * `committed` (the coordinator says NONE again); with a reused id it would commit the
   * id's next transaction, so restored committables go through {@link resumeAndCommit}.
   */
  async commitPrepared(tx: PreparedTransaction): Promise<CommitOutcome> {
    try {
      await this.#connect();
    } catch (error) {
      return this.#unreachable(describePreparedTransaction(tx), "connecting", error);
    }
    return commitOpenTransaction(this.#internals, this.#cluster, tx, this.#retry, this.#log);
  }

  /**
   * Aborts a pre-committed transaction idempotently, reading the log first like
   * {@link resumeAndCommit}: it never sends EndTxn(abort) for a transaction whose marker is
   * already written, so it cannot abort the next transaction of a reused id.
   */
  async resumeAndAbort(tx: PreparedTransaction): Promise<AbortOutcome> {
    const name = describePreparedTransaction(tx);
    const logged = await this.#logBeforeEnd(tx, name);
    if (logged === "aborted") return { kind: "alreadyAborted" };
    if (logged !== "open") return logged;
    try {
      await sendEndTxn(this.#internals, this.#cluster, tx, false, this.#retry);
      return { kind: "aborted" };
    } catch (error) {
      const cls = classifyEndTxnError(error);
      const unsettled = unsettledEndTxn(name, "abort", cls, error);
      if (unsettled) return unsettled;
      const again = await this.readTransactionOutcome(tx).catch(() => undefined);
      if (again?.kind === "committed") return { kind: "alreadyCommitted" };
      if (again?.kind === "aborted") return { kind: "alreadyAborted" };
      return { kind: "notOpen", reason: `${name} is no longer open (${cls.type})`, cause: error };
    }
  }

  /**
   * InitProducerId for `transactionalId`: bumps its epoch, which aborts the transaction it
   * holds open (waiting for that abort to finish) and fences every producer of an older
   * epoch. Use it for lingering transaction cleanup — never before the restored
   * committables of that id are committed.
   */
  async fenceTransactionalId(
    transactionalId: string,
    options: { readonly transactionTimeoutMs: number },
  ): Promise<ProducerIdentity> {
    await this.#connect();
    const eos = this.#internals.createEosManager({
      logger: this.#internals.loggerOf(this.#kafka).namespace("BerthFence"),
      cluster: this.#cluster,
      transactionTimeout: options.transactionTimeoutMs,
      transactional: true,
      transactionalId,
    });
    await eos.initProducerId();
    return { producerId: String(eos.getProducerId()), producerEpoch: eos.getProducerEpoch() };
  }

  /**
   * The coordinator's view of a transactional id (DescribeTransactions, Kafka >= 3.0): state,
   * producer id and epoch, partitions. Diagnostics only: it describes the id's *latest*
   * transaction, so it cannot prove how an older one under the same epoch ended.
   */
  async describeTransaction(transactionalId: string): Promise<TransactionDescription> {
    await this.#connect();
    return describeTransaction(this.#internals, this.#cluster, transactionalId);
  }

  /**
   * Transactional ids every broker coordinates (ListTransactions, Kafka >= 3.0), optionally
   * only those in the given states — e.g. `["Ongoing"]` under a sink prefix for lingering
   * transaction cleanup.
   */
  async listTransactions(states: readonly TransactionState[] = []): Promise<TransactionListing[]> {
    await this.#connect();
    return listTransactions(this.#internals, this.#cluster, states);
  }

  /** The transaction's fate as the log tells it (exposed for diagnostics and tests). */
  async readTransactionOutcome(tx: PreparedTransaction): Promise<LoggedOutcome> {
    await this.#connect();
    return readTransactionOutcome(this.#internals, this.#cluster, tx, this.#log);
  }

  /**
   * Sends EndTxn to the coordinator with the stored producer id and epoch, retrying the
   * answers that clear up within milliseconds; throws kafkajs's error otherwise. No log
   * check: prefer {@link resumeAndCommit} / {@link resumeAndAbort}.
   */
  async endTxn(tx: PreparedTransaction, commit: boolean): Promise<void> {
    await sendEndTxn(this.#internals, this.#cluster, tx, commit, this.#retry);
  }

  async close(): Promise<void> {
    await this.#cluster.disconnect();
  }

  async #connect(): Promise<void> {
    if (!this.#cluster.isConnected()) await this.#cluster.connect();
  }

  /**
   * The log's word before ending `tx` (named `name`): the answer a commit and an abort give
   * alike — committed before, outcome not readable yet, log unreachable — or `"aborted"` when
   * it holds the abort marker, `"open"` when EndTxn must decide (no marker, or no anchor).
   */
  async #logBeforeEnd(
    tx: PreparedTransaction,
    name: string,
  ): Promise<(CommitOutcome & AbortOutcome) | "aborted" | "open"> {
    let logged: LoggedOutcome;
    try {
      logged = await this.readTransactionOutcome(tx);
    } catch (error) {
      return this.#unreachable(name, "reading its outcome from the log", error);
    }
    switch (logged.kind) {
      case "committed":
        return { kind: "alreadyCommitted" };
      case "aborted":
        return "aborted";
      case "undecided":
        return { kind: "retryLater", reason: `${name}: outcome not readable yet (${logged.reason})` };
      case "open":
      case "unavailable":
        return "open";
    }
  }

  #unreachable(name: string, doing: string, error: unknown): CommitOutcome & AbortOutcome {
    const cls = classifyEndTxnError(error);
    const reason = `${name}: failed ${doing}: ${errorText(error)}`;
    return cls.kind === "retryLater"
      ? { kind: "retryLater", reason, cause: error }
      : { kind: "failedUnknown", reason, cause: error };
  }
}

/**
 * The answer to a failed EndTxn that tells nothing of the transaction: `retryLater` when the
 * failure clears up by itself, `failedUnknown` when it is not understood; `undefined` when the
 * coordinator refused it (the transaction is not open under this epoch any more).
 */
function unsettledEndTxn(
  name: string,
  end: "commit" | "abort",
  cls: EndTxnErrorClass,
  error: unknown,
): (CommitOutcome & AbortOutcome) | undefined {
  if (cls.kind === "retryLater") {
    return { kind: "retryLater", reason: `${name}: ${errorText(error)}`, cause: error };
  }
  if (cls.kind === "unknown") {
    return {
      kind: "failedUnknown",
      reason: `${name}: EndTxn(${end}) failed: ${errorText(error)}`,
      cause: error,
    };
  }
  return undefined;
}

function abortedOutcome(name: string, evidence: string, cause?: unknown): CommitOutcome {
  return {
    kind: "failedKnown",
    code: "aborted",
    reason:
      `${name} was aborted (${evidence}): the broker aborted it on transaction.timeout.ms or an InitProducerId ` +
      "for its transactional id fenced it before the commit. Its records are lost to readers.",
    ...(cause === undefined ? {} : { cause }),
  };
}

/**
 * EndTxn(commit) for a transaction believed open (the log shows no marker, or the caller
 * owns the live producer). On a refusal the log is read again before answering, so a
 * transaction that was committed meanwhile is `alreadyCommitted`, not a failure.
 */
export async function commitOpenTransaction(
  internals: KafkajsInternals,
  cluster: KjsCluster,
  tx: PreparedTransaction,
  retry: EndTxnRetry,
  log: TransactionLogOptions,
): Promise<CommitOutcome> {
  const name = describePreparedTransaction(tx);
  try {
    await sendEndTxn(internals, cluster, tx, true, retry);
    return { kind: "committed" };
  } catch (error) {
    const cls = classifyEndTxnError(error);
    const unsettled = unsettledEndTxn(name, "commit", cls, error);
    if (unsettled) return unsettled;
    // The coordinator refused: the transaction is not open under this epoch any more. The
    // log may tell how it ended (a race with the timeout, or a commit by another committer).
    const again = await readTransactionOutcome(internals, cluster, tx, log).catch(() => undefined);
    if (again?.kind === "committed") return { kind: "alreadyCommitted" };
    if (again?.kind === "aborted")
      return abortedOutcome(name, `the log holds its abort marker (${cls.type})`, error);
    if (cls.kind === "fenced") {
      return {
        kind: "failedKnown",
        code: "fenced",
        reason:
          `${name} can no longer be committed: its producer epoch was bumped (${cls.type}) — the broker ` +
          "aborted it on transaction.timeout.ms, or an InitProducerId for its transactional id fenced it. " +
          (tx.anchor ? "" : "Without an anchor the log cannot tell whether it had been committed before. ") +
          "Its records are not visible.",
        cause: error,
      };
    }
    if (cls.kind === "producerIdChanged") {
      return {
        kind: "failedKnown",
        code: "producerIdChanged",
        reason:
          `${name} can no longer be committed: its transactional id maps to another producer id now ` +
          `(${cls.type}; expired after transactional.id.expiration.ms, or re-created).`,
        cause: error,
      };
    }
    return {
      kind: "failedKnown",
      code: "invalidState",
      reason: `${name} is not open on the coordinator (${cls.type}): it was aborted or never pre-committed.`,
      cause: error,
    };
  }
}
