/**
 * @berth/sink-postgres — an exactly-once PostgreSQL sink for Berth on `pg`: each checkpoint's
 * rows in one transaction per subtask, bulk-written with `COPY`, prepared
 * (`PREPARE TRANSACTION`) at the checkpoint and committed (`COMMIT PREPARED`) once it completes;
 * or, for servers without prepared transactions, committed into a staging table and applied
 * with a commit-log row; append or upsert (with deletes).
 */
export {
  COMMIT_MARKER_PRUNED,
  PostgresError,
  type PostgresErrorCode,
  PostgresRecordRejectedError,
  PREPARED_TRANSACTION_LOST,
  STAGED_ROWS_LOST,
} from "./errors.js";
export {
  POSTGRES_COMMITTABLE_VERSION,
  type PostgresCommittable,
  postgresCommittableCodec,
} from "./postgres-committable.js";
export { MAX_GID_BYTES, postgresSink } from "./postgres-sink.js";
export type {
  ColumnFieldMap,
  ColumnValue,
  PostgresSinkOptions,
  TableName,
} from "./postgres-sink-options.js";
