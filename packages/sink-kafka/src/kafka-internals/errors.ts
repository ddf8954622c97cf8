/**
 * Errors raised by the kafkajs-internals module. Each has a stable `code`; `instanceof`
 * works across copies of the package through a global symbol brand.
 */
const brand = Symbol.for("berth.sink-kafka.internals-error");

export type KafkaInternalsErrorCode =
  /** The installed kafkajs is not the pinned version, or an internal changed shape. */
  | "KAFKAJS_INTERNALS_MISMATCH"
  /** A prepared transaction (committable) is malformed. */
  | "PREPARED_TRANSACTION_INVALID"
  /** A transactional producer was used in a state that does not allow the call. */
  | "PRODUCER_STATE"
  /** A transactional producer can no longer be used; discard it and open a new one. */
  | "PRODUCER_BROKEN";

export class KafkaInternalsError extends Error {
  readonly code: KafkaInternalsErrorCode;

  constructor(code: KafkaInternalsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "KafkaInternalsError";
    Object.defineProperty(this, brand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}
