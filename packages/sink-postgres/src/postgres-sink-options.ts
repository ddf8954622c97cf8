/** Options of the PostgreSQL sink: one typed object, its defaults beside it, one validation step. */
import { createHash } from "node:crypto";
import { PostgresError } from "./errors.js";
import type { ColumnValue } from "./internal/copy-text.js";
import type { TableName } from "./internal/sql.js";

export type { ColumnValue } from "./internal/copy-text.js";
export type { TableName } from "./internal/sql.js";

/** A column → record field map: each column gets that field of the record. */
export type ColumnFieldMap<T> = { readonly [column: string]: keyof T & string };

export interface PostgresSinkOptions<T> {
  /** `postgres://user[:password]@host[:port]/database`. Required. Every session of the sink uses it. */
  readonly connectionString: string;
  /** The target table: a name (never split on dots) or `{ schema, name }`. Required. */
  readonly table: string | TableName;
  /**
   * The column mapping: a column → field map (`{ seq: "seq", body: "payload" }`), or the column
   * names in order, with {@link row} giving the values. Required.
   */
  readonly columns: ColumnFieldMap<T> | readonly string[];
  /** The values of one record, in the order of `columns` (required when `columns` is an array). */
  readonly row?: (record: T) => readonly ColumnValue[];
  /**
   * `append` (default): every record is a new row. `upsert`: `INSERT … ON CONFLICT (conflictKey)
   * DO UPDATE`, the last record of a key in a checkpoint wins, and records for which
   * {@link isDelete} is true delete their key.
   */
  readonly mode?: "append" | "upsert";
  /** Upsert only, required there: the columns of the table's primary key or a unique constraint. */
  readonly conflictKey?: readonly string[];
  /** Upsert only: whether a record is a delete (tombstone) of its key. Default: none is. */
  readonly isDelete?: (record: T) => boolean;
  /**
   * `exactly-once` (default): each checkpoint's rows in one transaction, prepared
   * (`PREPARE TRANSACTION`) at the checkpoint and committed once it completes. `at-least-once`:
   * the transaction commits at the checkpoint; a failover may write its rows again.
   */
  readonly deliveryGuarantee?: "exactly-once" | "at-least-once";
  /**
   * How exactly-once commits. `prepared` (default): the checkpoint's transaction is prepared
   * (`PREPARE TRANSACTION`, needs `max_prepared_transactions` > 0) and committed with
   * `COMMIT PREPARED`. `idempotent`, for servers without prepared transactions: the rows are
   * committed into the staging table at the checkpoint; the commit inserts a commit-log row
   * (the marker), applies the staged rows and deletes them, in one transaction.
   */
  readonly protocol?: "prepared" | "idempotent";
  /**
   * Checkpoints whose prepared transactions may wait for their commit at once, per subtask;
   * with the one being written, the sink needs `max_prepared_transactions ≥ parallelism ×
   * (pendingCheckpoints + 1)`, checked at start. Default 2.
   */
  readonly pendingCheckpoints?: number;
  /**
   * The table of commit markers (created when missing, with `<name>_pruned` beside it for the
   * prefixes' pruning horizons; at most 56 bytes). Default `berth_commit_markers`.
   */
  readonly markerTable?: string | TableName;
  /**
   * How long a commit marker (commit-log row) is kept: a restore point whose pre-committed
   * transaction is older cannot prove its commit and fails with `POSTGRES_COMMIT_MARKER_PRUNED`
   * (restore a newer point, or pass `--skip-failed-committables`). At least 10 checkpoint
   * intervals. Default 7 days (ADR 0015).
   */
  readonly markerRetentionMs?: number;
  /** The staging table of upsert and of the idempotent protocol (created when missing). Default `berth_staging_<hash of the table>` beside the table. */
  readonly stagingTable?: string | TableName;
  /** Create the target table when missing, with these column → SQL type pairs (for examples). Default: never. */
  readonly createTable?: Readonly<Record<string, string>>;
  /** Bytes of COPY text buffered per subtask before they are sent. Default 1 MiB. */
  readonly bufferBytes?: number;
  /** Time limit of connecting a session; a restarting server (refused, starting up, shutting down) is tried again within it. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
}

export interface ResolvedPostgresSinkOptions<T> {
  readonly connectionString: string;
  readonly table: TableName;
  readonly columns: readonly string[];
  readonly row: (record: T) => readonly ColumnValue[];
  readonly mode: "append" | "upsert";
  readonly conflictKey: readonly string[];
  readonly isDelete: ((record: T) => boolean) | undefined;
  readonly deliveryGuarantee: "exactly-once" | "at-least-once";
  readonly protocol: "prepared" | "idempotent";
  readonly pendingCheckpoints: number;
  readonly markerTable: TableName;
  readonly markerRetentionMs: number;
  readonly stagingTable: TableName;
  readonly createTable: Readonly<Record<string, string>> | undefined;
  readonly bufferBytes: number;
  readonly connectTimeoutMs: number;
}

function invalid(message: string): PostgresError {
  return new PostgresError("POSTGRES_CONFIG_INVALID", `postgres sink: ${message}`);
}

const IDENTIFIER_MAX_BYTES = 63;
/** The marker table's name leaves room for its companions' suffixes (`_pruned`, `_by_age`). */
const MARKER_TABLE_MAX_BYTES = IDENTIFIER_MAX_BYTES - "_by_age".length;

/** Seven days, as Kafka keeps an idle transactional id (`transactional.id.expiration.ms`). */
export const DEFAULT_MARKER_RETENTION_MS = 7 * 24 * 3_600_000;
/** The shortest retention, in checkpoint intervals: a failover's restore point is a few intervals old. */
export const MIN_MARKER_RETENTION_INTERVALS = 10;

function identifier(option: string, name: unknown, maxBytes = IDENTIFIER_MAX_BYTES): string {
  if (typeof name !== "string" || name.length === 0 || name.includes("\0"))
    throw invalid(`${option} must be a non-empty name without NUL, got ${JSON.stringify(name)}`);
  if (Buffer.byteLength(name) > maxBytes)
    throw invalid(
      maxBytes === IDENTIFIER_MAX_BYTES
        ? `${option} "${name}" is longer than PostgreSQL's ${IDENTIFIER_MAX_BYTES}-byte identifier limit`
        : `${option} "${name}" is longer than ${maxBytes} bytes (the sink adds a suffix to it within PostgreSQL's ${IDENTIFIER_MAX_BYTES}-byte identifier limit)`,
    );
  return name;
}

function tableName(option: string, value: unknown, maxBytes = IDENTIFIER_MAX_BYTES): TableName {
  if (typeof value === "string") return { name: identifier(option, value, maxBytes) };
  const t = value as Partial<TableName> | null;
  if (typeof t !== "object" || t === null) throw invalid(`${option} must be a name or { schema, name }`);
  return t.schema === undefined
    ? { name: identifier(`${option}.name`, t.name, maxBytes) }
    : {
        schema: identifier(`${option}.schema`, t.schema),
        name: identifier(`${option}.name`, t.name, maxBytes),
      };
}

function positiveInteger(option: string, value: number | undefined, fallback: number, min: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < min) throw invalid(`${option} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

function oneOf<V extends string>(option: string, value: V | undefined, allowed: readonly V[]): V {
  const v = value ?? (allowed[0] as V);
  if (!allowed.includes(v))
    throw invalid(
      `${option} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${JSON.stringify(value)}`,
    );
  return v;
}

function columnMapping<T>(
  options: PostgresSinkOptions<T>,
): Pick<ResolvedPostgresSinkOptions<T>, "columns" | "row"> {
  const { columns, row } = options;
  if (Array.isArray(columns)) {
    if (typeof row !== "function")
      throw invalid("`columns` is a list of names, so `row(record)` must give their values");
    const names = columns.map((c, i) => identifier(`columns[${i}]`, c));
    return { columns: names, row };
  }
  if (typeof columns !== "object" || columns === null)
    throw invalid("`columns` must be a column → field map or a list of column names with `row`");
  if (row !== undefined)
    throw invalid("`row` goes with a list of column names, not with a column → field map");
  const entries = Object.entries(columns as ColumnFieldMap<T>);
  if (entries.length === 0) throw invalid("`columns` maps no column");
  for (const [column, field] of entries) {
    identifier(`columns key`, column);
    if (typeof field !== "string") throw invalid(`columns.${column} must name a record field`);
  }
  const fields = entries.map(([, field]) => field);
  return {
    columns: entries.map(([column]) => column),
    row: (record) => fields.map((f) => (record as Record<string, ColumnValue>)[f]),
  };
}

/** The job's side of the options: a marker retention of fewer than 10 checkpoint intervals is refused. */
export function checkMarkerRetention(markerRetentionMs: number, checkpointIntervalMs: number): void {
  const least = MIN_MARKER_RETENTION_INTERVALS * checkpointIntervalMs;
  if (markerRetentionMs < least)
    throw invalid(
      `markerRetentionMs ${markerRetentionMs} is shorter than ${MIN_MARKER_RETENTION_INTERVALS} checkpoint intervals (${least} ms): a failover restores a checkpoint a few intervals old, whose commits its markers must prove; raise markerRetentionMs (default ${DEFAULT_MARKER_RETENTION_MS}, 7 days) or checkpoint more often`,
    );
}

export function resolvePostgresSinkOptions<T>(
  options: PostgresSinkOptions<T>,
): ResolvedPostgresSinkOptions<T> {
  if (typeof options?.connectionString !== "string" || options.connectionString.length === 0)
    throw invalid("`connectionString` must be a postgres:// URL");
  const table = tableName("table", options.table);
  const { columns, row } = columnMapping(options);
  if (new Set(columns).size !== columns.length)
    throw invalid(`\`columns\` names a column twice: ${columns.join(", ")}`);
  const mode = oneOf("mode", options.mode, ["append", "upsert"] as const);
  const conflictKey = options.conflictKey ?? [];
  if (mode === "upsert") {
    if (!Array.isArray(conflictKey) || conflictKey.length === 0)
      throw invalid(
        'mode "upsert" needs `conflictKey`: the columns of the table\'s primary key or a unique constraint',
      );
    for (const k of conflictKey)
      if (!columns.includes(k))
        throw invalid(`conflictKey column "${k}" is not one of the mapped columns (${columns.join(", ")})`);
  } else if (conflictKey.length > 0 || options.isDelete !== undefined) {
    throw invalid('`conflictKey` and `isDelete` apply to mode "upsert" only');
  }
  if (options.isDelete !== undefined && typeof options.isDelete !== "function")
    throw invalid("`isDelete` must be a function");
  if (options.createTable !== undefined) {
    for (const [column, type] of Object.entries(options.createTable)) {
      identifier("createTable key", column);
      // A type is SQL, not a name: allow what type names look like, never a statement.
      if (
        typeof type !== "string" ||
        !/^[A-Za-z][A-Za-z0-9_ ]*(\([0-9, ]+\))?(\[\])?( (NOT NULL|PRIMARY KEY))*$/.test(type)
      )
        throw invalid(
          `createTable.${column} type ${JSON.stringify(type)} is not a type name like "bigint", "numeric(10,2)" or "text NOT NULL"`,
        );
    }
  }
  const tableHash = createHash("sha256")
    .update(JSON.stringify([table.schema ?? null, table.name]))
    .digest("hex")
    .slice(0, 16);
  return {
    connectionString: options.connectionString,
    table,
    columns,
    row,
    mode,
    conflictKey,
    isDelete: options.isDelete,
    deliveryGuarantee: oneOf("deliveryGuarantee", options.deliveryGuarantee, [
      "exactly-once",
      "at-least-once",
    ] as const),
    protocol: oneOf("protocol", options.protocol, ["prepared", "idempotent"] as const),
    pendingCheckpoints: positiveInteger("pendingCheckpoints", options.pendingCheckpoints, 2, 1),
    markerTable: tableName(
      "markerTable",
      options.markerTable ?? "berth_commit_markers",
      MARKER_TABLE_MAX_BYTES,
    ),
    markerRetentionMs: positiveInteger(
      "markerRetentionMs",
      options.markerRetentionMs,
      DEFAULT_MARKER_RETENTION_MS,
      1,
    ),
    stagingTable: tableName(
      "stagingTable",
      options.stagingTable ?? {
        ...(table.schema !== undefined ? { schema: table.schema } : {}),
        name: `berth_staging_${tableHash}`,
      },
    ),
    createTable: options.createTable,
    bufferBytes: positiveInteger("bufferBytes", options.bufferBytes, 1024 * 1024, 1),
    connectTimeoutMs: positiveInteger("connectTimeoutMs", options.connectTimeoutMs, 10_000, 1),
  };
}
