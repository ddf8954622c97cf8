/**
 * Errors raised by the kafkajs-internals module. Each has a stable `code`; `instanceof`
 * works across copies of the package through the core's symbol brand.
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
  | "PRODUCER_BROKEN";

export class KafkaInternalsError extends TypedError<KafkaInternalsErrorCode> {}
