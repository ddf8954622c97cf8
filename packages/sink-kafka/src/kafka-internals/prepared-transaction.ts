/**
 * A pre-committed Kafka transaction: everything a new process needs to commit or abort it
 * without the producer that opened it. This is the Kafka part of a committable.
 */
import { KafkaInternalsError } from "./errors.js";

export interface PreparedTransaction {
  /** `<sinkPrefix>-<subtask>-<slot>`. */
  readonly transactionalId: string;
  /** The 64-bit producer id as a decimal string (JavaScript numbers cannot hold it). */
  readonly producerId: string;
  /** The producer epoch (int16) the transaction was opened under. */
  readonly producerEpoch: number;
  /**
   * Where the transaction's first record sits in one of its partitions. Recovery reads the
   * transaction's fate (commit or abort marker) from the log there, which is the only proof
   * that survives a later epoch bump or the reuse of the transactional id. Optional so a
   * bare `{transactionalId, producerId, producerEpoch}` still resumes, with weaker answers
   * (see {@link CommitOutcome}).
   */
  readonly anchor?: TransactionAnchor;
}

export interface TransactionAnchor {
  readonly topic: string;
  readonly partition: number;
  /** The offset (decimal string) of the transaction's first record in that partition. */
  readonly offset: string;
}

const DECIMAL = /^(0|-?[1-9][0-9]{0,18})$/;
const INT64_MAX = 2n ** 63n - 1n;

/** Checks a value read back from a checkpoint; throws `PREPARED_TRANSACTION_INVALID`. */
export function parsePreparedTransaction(value: unknown): PreparedTransaction {
  const fail = (what: string): never => {
    throw new KafkaInternalsError(
      "PREPARED_TRANSACTION_INVALID",
      `not a prepared Kafka transaction: ${what} (got ${JSON.stringify(value)})`,
    );
  };
  if (typeof value !== "object" || value === null) return fail("not an object");
  const v = value as Record<string, unknown>;
  if (typeof v.transactionalId !== "string" || v.transactionalId === "") fail("transactionalId missing");
  if (typeof v.producerId !== "string" || !DECIMAL.test(v.producerId) || BigInt(v.producerId) < 0n) {
    fail("producerId must be a non-negative decimal string");
  }
  if (BigInt(v.producerId as string) > INT64_MAX) fail("producerId exceeds int64");
  if (
    !Number.isInteger(v.producerEpoch) ||
    (v.producerEpoch as number) < 0 ||
    (v.producerEpoch as number) > 32767
  ) {
    fail("producerEpoch must be an int16 >= 0");
  }
  let anchor: TransactionAnchor | undefined;
  if (v.anchor !== undefined) {
    const a = v.anchor as Record<string, unknown> | null;
    if (typeof a !== "object" || a === null) return fail("anchor not an object");
    if (typeof a.topic !== "string" || a.topic === "") fail("anchor.topic missing");
    if (!Number.isInteger(a.partition) || (a.partition as number) < 0) fail("anchor.partition invalid");
    if (typeof a.offset !== "string" || !DECIMAL.test(a.offset) || BigInt(a.offset) < 0n)
      fail("anchor.offset invalid");
    anchor = { topic: a.topic as string, partition: a.partition as number, offset: a.offset as string };
  }
  return {
    transactionalId: v.transactionalId as string,
    producerId: v.producerId as string,
    producerEpoch: v.producerEpoch as number,
    ...(anchor ? { anchor } : {}),
  };
}

export function describePreparedTransaction(tx: PreparedTransaction): string {
  const at = tx.anchor
    ? ` first record at ${tx.anchor.topic}-${tx.anchor.partition}@${tx.anchor.offset}`
    : "";
  return `transaction ${tx.transactionalId} (producer ${tx.producerId}, epoch ${tx.producerEpoch}${at})`;
}
