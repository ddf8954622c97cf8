/**
 * Errors of the PostgreSQL sink. Each has a stable `code`, a message saying what is wrong and
 * what to do, and the cause attached; `instanceof` works across copies of the package through
 * the core's marker brand.
 */
import { RecordRejectedError, TypedError } from "@berth/core";

export type PostgresErrorCode =
  /** An option is missing, of the wrong type or out of range. */
  | "POSTGRES_CONFIG_INVALID"
  /** The server cannot be reached or refused the connection (address, auth, database). */
  | "POSTGRES_UNREACHABLE"
  /** `max_prepared_transactions` is below what the sink's parallelism needs in prepared mode. */
  | "POSTGRES_PREPARED_TRANSACTIONS_TOO_FEW"
  /** A record cannot be turned into a row: the column mapping threw, or a value has no COPY text form (NUL, an invalid date). */
  | "POSTGRES_RECORD_INVALID"
  /** The server refused a row (a constraint, a value that does not fit its column). */
  | "POSTGRES_ROW_REJECTED"
  /** A statement of the writer failed (connection lost, server error) before the transaction was prepared. */
  | "POSTGRES_WRITE_FAILED"
  /** A committable restored from a checkpoint is malformed or of an unknown version. */
  | "POSTGRES_COMMITTABLE_INVALID"
  /** `berth postgres …` was called with a missing or bad argument. */
  | "POSTGRES_CLI_USAGE";

export class PostgresError extends TypedError<PostgresErrorCode> {
  static override readonly marker: string = "berth.sink-postgres/PostgresError";
}

/**
 * A record the column mapping cannot turn into a row (`POSTGRES_RECORD_INVALID`: the mapping
 * threw or gave a value with no COPY text form), thrown before anything of it is buffered: a bad
 * record, so the job's `badRecords` policy (fail, skip, dead-letter) applies to it. A row the
 * server refuses (`POSTGRES_ROW_REJECTED`) is not one: its batch is already in the transaction.
 */
export class PostgresRecordRejectedError extends RecordRejectedError<PostgresErrorCode> {
  static override readonly marker: string = "berth.sink-postgres/PostgresRecordRejectedError";
}

/** The `failedKnown` code of a prepared transaction that is gone without its commit marker. */
export const PREPARED_TRANSACTION_LOST = "POSTGRES_PREPARED_TRANSACTION_LOST";

/** The `failedKnown` code of an idempotent transaction with neither staged rows nor a commit-log row. */
export const STAGED_ROWS_LOST = "POSTGRES_STAGED_ROWS_LOST";

/**
 * The `failedKnown` code of a committable whose gid and marker are both gone while its
 * transaction began before the prefix's marker horizon: the restore point is older than the
 * marker retention, and the commit can no longer be proven (ADR 0015).
 */
export const COMMIT_MARKER_PRUNED = "POSTGRES_COMMIT_MARKER_PRUNED";
