/**
 * Every SQL statement the sink runs, built once from the options with every name quoted:
 * the COPY into the table (append) or the staging table (upsert), the merge of a checkpoint's
 * staged rows, the commit marker, and the DDL of the tables the sink creates.
 */
import type { ResolvedPostgresSinkOptions } from "../postgres-sink-options.js";
import { quoteIdentifier, quoteTable } from "./sql.js";

/** Staging columns beside the mapped ones: input order within the transaction, and delete or upsert. */
const ORDINAL = "berth_ord";
const DELETE = "berth_delete";

export interface SinkStatements {
  /** `COPY … FROM STDIN` of a batch: the table's columns, plus ordinal and delete flag when staging. */
  readonly copy: string;
  /** Upsert only: applies the staged rows, the last of each key winning, then empties the staging table. */
  readonly merge: readonly string[];
  /** Records the gid inside its own transaction: `$1` gid, `$2` sink prefix. */
  readonly insertMarker: string;
  /** `$1` gid: whether the marker of a committed transaction exists. */
  readonly selectMarker: string;
  /** DDL run at start, in order (each idempotent). */
  readonly setup: readonly string[];
}

export function sinkStatements<T>(options: ResolvedPostgresSinkOptions<T>): SinkStatements {
  const table = quoteTable(options.table);
  const staging = quoteTable(options.stagingTable);
  const markers = quoteTable(options.markerTable);
  const cols = options.columns.map(quoteIdentifier);
  const list = cols.join(", ");
  const upsert = options.mode === "upsert";
  const setup = [
    `CREATE TABLE IF NOT EXISTS ${markers} (gid text PRIMARY KEY, sink_prefix text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`,
  ];
  if (options.createTable !== undefined) {
    const defs = Object.entries(options.createTable).map(([c, type]) => `${quoteIdentifier(c)} ${type}`);
    const key = upsert ? `, PRIMARY KEY (${options.conflictKey.map(quoteIdentifier).join(", ")})` : "";
    setup.push(`CREATE TABLE IF NOT EXISTS ${table} (${defs.join(", ")}${key})`);
  }
  if (!upsert) {
    return {
      copy: `COPY ${table} (${list}) FROM STDIN`,
      merge: [],
      insertMarker: `INSERT INTO ${markers} (gid, sink_prefix) VALUES ($1, $2)`,
      selectMarker: `SELECT 1 FROM ${markers} WHERE gid = $1`,
      setup,
    };
  }
  // Regular, logged, never TEMP: a transaction that touched a temporary table cannot be prepared.
  // Only the mapped columns' types, no constraints: a delete carries its key alone.
  setup.push(
    `CREATE TABLE IF NOT EXISTS ${staging} AS SELECT ${list}, 0::bigint AS ${ORDINAL}, false AS ${DELETE} FROM ${table} WITH NO DATA`,
  );
  const key = options.conflictKey.map(quoteIdentifier);
  const keyList = key.join(", ");
  const matches = key.map((k) => `berth_target.${k} = berth_latest.${k}`).join(" AND ");
  const others = cols.filter((c) => !key.includes(c));
  const onConflict =
    others.length === 0
      ? "DO NOTHING"
      : `DO UPDATE SET ${others.map((c) => `${c} = EXCLUDED.${c}`).join(", ")}`;
  // Two rows of one key in one INSERT … ON CONFLICT fail ("cannot affect row a second time"):
  // keep the last record of each key in input order, then delete or upsert it. The staging
  // table holds this transaction's rows only (it is emptied before every prepare).
  const merge = `WITH berth_latest AS (SELECT DISTINCT ON (${keyList}) ${list}, ${DELETE} FROM ${staging} ORDER BY ${keyList}, ${ORDINAL} DESC), berth_deleted AS (DELETE FROM ${table} AS berth_target USING berth_latest WHERE berth_latest.${DELETE} AND ${matches}) INSERT INTO ${table} (${list}) SELECT ${list} FROM berth_latest WHERE NOT berth_latest.${DELETE} ON CONFLICT (${keyList}) ${onConflict}`;
  return {
    copy: `COPY ${staging} (${list}, ${ORDINAL}, ${DELETE}) FROM STDIN`,
    merge: [merge, `DELETE FROM ${staging}`],
    insertMarker: `INSERT INTO ${markers} (gid, sink_prefix) VALUES ($1, $2)`,
    selectMarker: `SELECT 1 FROM ${markers} WHERE gid = $1`,
    setup,
  };
}
