/**
 * A pre-committed Kafka transaction as the checkpoint stores it: what a committer in any
 * process needs to commit it (transactional id, producer id and epoch), the anchor that lets
 * a re-commit read the transaction's fate from the log (ADR 0001), and what a failure
 * report names (the attempt that wrote it, its record count).
 *
 * Version 1. Bump {@link KAFKA_COMMITTABLE_VERSION} when the shape changes and teach
 * {@link kafkaCommittableCodec} the old one.
 */
import type { VersionedCodec } from "@berth/core/connector";
import { KafkaError } from "./errors.js";
import { type PreparedTransaction, parsePreparedTransaction } from "./kafka-internals/index.js";

export const KAFKA_COMMITTABLE_VERSION = 1;

export type KafkaCommittable = {
  /** `<sinkPrefix>-<subtask>-<slot>`. */
  readonly transactionalId: string;
  /** 64-bit producer id, as a decimal string. */
  readonly producerId: string;
  readonly producerEpoch: number;
  /** The transaction's first record in one of its partitions (offset as a decimal string). */
  readonly anchor: { readonly topic: string; readonly partition: number; readonly offset: string };
  /**
   * The attempt (run) that wrote it. A committer of the same attempt commits it directly
   * (its slot is kept until then); any other commits it by first reading its fate from the log.
   */
  readonly attemptId: string;
  /** Records in the transaction: what is lost if it can never be committed. */
  readonly records: number;
};

export function toPreparedTransaction(c: KafkaCommittable): PreparedTransaction {
  return {
    transactionalId: c.transactionalId,
    producerId: c.producerId,
    producerEpoch: c.producerEpoch,
    anchor: c.anchor,
  };
}

/** Checks a committable read back from a checkpoint. */
export function parseKafkaCommittable(value: unknown): KafkaCommittable {
  let prepared: PreparedTransaction;
  try {
    prepared = parsePreparedTransaction(value);
  } catch (error) {
    throw new KafkaError("KAFKA_COMMITTABLE_INVALID", `kafka sink: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const v = value as Record<string, unknown>;
  if (!prepared.anchor) {
    throw new KafkaError(
      "KAFKA_COMMITTABLE_INVALID",
      `kafka sink: committable ${JSON.stringify(value)} has no anchor; a re-commit could not tell committed from aborted`,
    );
  }
  if (typeof v.attemptId !== "string" || !Number.isInteger(v.records) || (v.records as number) < 0) {
    throw new KafkaError(
      "KAFKA_COMMITTABLE_INVALID",
      `kafka sink: committable ${JSON.stringify(value)} lacks attemptId or records`,
    );
  }
  return {
    transactionalId: prepared.transactionalId,
    producerId: prepared.producerId,
    producerEpoch: prepared.producerEpoch,
    anchor: prepared.anchor,
    attemptId: v.attemptId,
    records: v.records as number,
  };
}

/** Version 1 is the only one; the core parses every restored committable with it before any commit. */
export const kafkaCommittableCodec: VersionedCodec<KafkaCommittable> = {
  version: KAFKA_COMMITTABLE_VERSION,
  parse(version, stored) {
    if (version === KAFKA_COMMITTABLE_VERSION) return parseKafkaCommittable(stored);
    throw new KafkaError(
      "KAFKA_COMMITTABLE_INVALID",
      `kafka sink: committables of version ${version} are unknown to this @berth/sink-kafka, which reads version ${KAFKA_COMMITTABLE_VERSION}; restore with the version that wrote it`,
    );
  },
};

/** Identifies one transaction of a slot (the id alone is reused). */
export function committableKey(
  c: Pick<KafkaCommittable, "transactionalId" | "producerId" | "producerEpoch" | "anchor">,
): string {
  return `${c.transactionalId}/${c.producerId}/${c.producerEpoch}/${c.anchor.topic}/${c.anchor.partition}/${c.anchor.offset}`;
}

export function describeKafkaCommittable(c: KafkaCommittable): string {
  return `${c.records} record(s) of transaction ${c.transactionalId} (producer ${c.producerId}, epoch ${c.producerEpoch}), starting at ${c.anchor.topic}-${c.anchor.partition}@${c.anchor.offset}`;
}
