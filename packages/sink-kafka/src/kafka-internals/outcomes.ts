/**
 * Outcomes of ending a pre-committed transaction, and the sorting of kafkajs errors into
 * them. The commit outcome has the shape of the core's `CommitOutcome` (DESIGN.md's table)
 * plus a `code` on known failures.
 */

/** Why a commit failed for good: the records of the transaction are not (and never will be) visible. */
export type KnownCommitFailure =
  /** The log shows an abort marker for the transaction (timed out, or fenced while open). */
  | "aborted"
  /**
   * The producer epoch was bumped past the transaction's (an InitProducerId fenced it, or the
   * broker aborted it on `transaction.timeout.ms`) and no log evidence says it committed.
   */
  | "fenced"
  /** The transactional id now maps to another producer id (expired or re-created). */
  | "producerIdChanged"
  /** The coordinator holds no open transaction with this producer id and epoch (e.g. it was aborted). */
  | "invalidState";

export type CommitOutcome =
  /** This call committed it (the broker accepted EndTxn(commit) for the open transaction). */
  | { readonly kind: "committed" }
  /** It was committed before: the commit marker is in the log (or, without anchor, see ADR). */
  | { readonly kind: "alreadyCommitted" }
  /** Transient (coordinator moving or loading, concurrent state change, network): try again. */
  | { readonly kind: "retryLater"; readonly reason: string; readonly cause?: unknown }
  | {
      readonly kind: "failedKnown";
      readonly code: KnownCommitFailure;
      readonly reason: string;
      readonly cause?: unknown;
    }
  | { readonly kind: "failedUnknown"; readonly reason: string; readonly cause?: unknown };

export type AbortOutcome =
  /** This call aborted the open transaction. */
  | { readonly kind: "aborted" }
  /** It had been aborted before (the abort marker is in the log). */
  | { readonly kind: "alreadyAborted" }
  /** It had been committed before: nothing to abort (the commit marker is in the log). */
  | { readonly kind: "alreadyCommitted" }
  /**
   * No longer open, but its end cannot be told (epoch bumped and no anchor to read). Nothing
   * is pending for this transactional id any more.
   */
  | { readonly kind: "notOpen"; readonly reason: string; readonly cause?: unknown }
  | { readonly kind: "retryLater"; readonly reason: string; readonly cause?: unknown }
  | { readonly kind: "failedUnknown"; readonly reason: string; readonly cause?: unknown };

/** How a kafkajs error from EndTxn (or the calls around it) sorts. */
export type EndTxnErrorClass =
  | { readonly kind: "retryLater"; readonly type: string }
  | { readonly kind: "fenced"; readonly type: string }
  | { readonly kind: "producerIdChanged"; readonly type: string }
  | { readonly kind: "invalidState"; readonly type: string }
  | { readonly kind: "unknown"; readonly type: string };

/** Error types (kafkajs names) and codes the coordinator answers that clear up by themselves. */
const RETRIABLE_TYPES = new Set([
  "GROUP_COORDINATOR_NOT_AVAILABLE", // COORDINATOR_NOT_AVAILABLE (15)
  "NOT_COORDINATOR_FOR_GROUP", // NOT_COORDINATOR (16)
  "GROUP_LOAD_IN_PROGRESS", // COORDINATOR_LOAD_IN_PROGRESS (14)
  "CONCURRENT_TRANSACTIONS", // 51: the previous EndTxn's markers are still being written
  "REQUEST_TIMED_OUT",
  "NETWORK_EXCEPTION",
  "LEADER_NOT_AVAILABLE",
  "NOT_LEADER_FOR_PARTITION",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "NOT_ENOUGH_REPLICAS",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  "KAFKA_STORAGE_ERROR",
  "THROTTLING_QUOTA_EXCEEDED",
]);

/** Client-side failures that say nothing about the transaction: the request may not have arrived. */
const RETRIABLE_NAMES = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSBrokerNotFound",
  "KafkaJSGroupCoordinatorNotFound",
  "KafkaJSLockTimeout",
  "KafkaJSTimeout",
  "KafkaJSNoBrokerAvailableError",
  "KafkaJSMetadataNotLoaded",
  "KafkaJSTopicMetadataNotLoaded",
]);

interface KafkajsLikeError {
  name?: string;
  type?: string;
  code?: number | string;
  retriable?: boolean;
  cause?: unknown;
  originalError?: unknown;
}

/** The innermost kafkajs error (`KafkaJSNumberOfRetriesExceeded` wraps the last attempt's). */
export function rootKafkaError(error: unknown): KafkajsLikeError {
  let e = (error ?? {}) as KafkajsLikeError;
  for (let depth = 0; depth < 8; depth++) {
    const next = (e.name === "KafkaJSNumberOfRetriesExceeded" ? (e.cause ?? e.originalError) : undefined) as
      | KafkajsLikeError
      | undefined;
    if (!next || typeof next !== "object") break;
    e = next;
  }
  return e;
}

export function classifyEndTxnError(error: unknown): EndTxnErrorClass {
  const e = rootKafkaError(error);
  const type = e.type ?? e.name ?? "Error";
  if (e.type === "INVALID_PRODUCER_EPOCH" || e.code === 47 || e.code === 90 || e.type === "PRODUCER_FENCED") {
    return { kind: "fenced", type: e.type ?? "PRODUCER_FENCED" };
  }
  if (e.type === "INVALID_PRODUCER_ID_MAPPING" || e.type === "UNKNOWN_PRODUCER_ID") {
    return { kind: "producerIdChanged", type };
  }
  if (e.type === "INVALID_TXN_STATE") return { kind: "invalidState", type };
  if (e.type !== undefined && RETRIABLE_TYPES.has(e.type)) return { kind: "retryLater", type };
  if (e.name !== undefined && RETRIABLE_NAMES.has(e.name)) return { kind: "retryLater", type };
  // Plain socket errors (ECONNREFUSED, ECONNRESET, ...) surface with a string `code`.
  if (typeof e.code === "string" && /^E[A-Z]+$/.test(e.code)) return { kind: "retryLater", type: e.code };
  return { kind: "unknown", type };
}

export function errorText(error: unknown): string {
  const e = rootKafkaError(error);
  const message = error instanceof Error ? error.message : String(error);
  return e.type ? `${e.type}: ${message}` : message;
}
