/**
 * Errors raised by the kafkajs-internals module. Each has a stable `code`; `instanceof`
 * works across copies of the package through the core's marker brand.
 */
import { TypedError } from "@berth/core";

export type KafkaInternalsErrorCode =
  /** The installed kafkajs is not the pinned version, or an internal changed shape. */
  | "KAFKAJS_INTERNALS_MISMATCH"
  /** A prepared transaction (committable) is malformed. */
  | "PREPARED_TRANSACTION_INVALID"
  /** A transactional producer was used in a state that does not allow the call. */
  | "PRODUCER_STATE"
  /** A transactional producer can no longer be used; discard it and open a new one. */
  | "PRODUCER_BROKEN"
  /** The broker is too old for a request the module needs (DescribeTransactions, ListTransactions: Kafka ≥ 3.0). */
  | "BROKER_UNSUPPORTED"
  /** The broker's answer lacks what was asked for, or reports an error code. */
  | "BROKER_ANSWER_INVALID";

export class KafkaInternalsError extends TypedError<KafkaInternalsErrorCode> {
  static override readonly marker: string = "berth.sink-kafka/KafkaInternalsError";
}
