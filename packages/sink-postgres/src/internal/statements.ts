/**
 * Every SQL statement the sink runs, built once from the options with every name quoted:
 * the COPY into the table, or into the staging table (upsert, and the idempotent protocol),
 * applying a transaction's staged rows, the commit marker, and the DDL of the tables the sink
 * creates.
 *
 * Staged rows carry the name of their transaction (`berth_txn`), their input order
 * (`berth_ord`) and whether they delete their key (`berth_delete`), so one staging table serves
 * many transactions at once, and lingering ones can be found by name.
 */
import type { ResolvedPostgresSinkOptions } from "../postgres-sink-options.js";
import { quoteIdentifier, quoteTable } from "./sql.js";

export interface SinkStatements {
  /** Whether records go through the staging table (else COPY goes straight into the table). */
  readonly staged: boolean;
  /** `COPY … FROM STDIN` of a batch: the mapped columns, plus transaction, ordinal and delete flag when staged. */
  readonly copy: string;
  /**
   * `$1` transaction name: applies its staged rows to the table (append: in input order; upsert:
   * the last record of each key, deleting or upserting it), then removes them from staging.
   */
  readonly apply: readonly string[];
  /** `$1` gid, `$2` sink prefix: records the name inside its transaction; no row when it is recorded already. */
  readonly insertMarker: string;
  /** `$1` gid: whether the marker of a committed transaction exists. */
  readonly selectMarker: string;
  /** `$1` LIKE pattern: names of transactions with staged rows. */
  readonly stagedNames: string;
  /** `$1` transaction name: deletes its staged rows (lingering cleanup). */
  readonly dropStaged: string;
  /** DDL run at start, in order (each idempotent). */
  readonly setup: readonly string[];
}

const TXN = "berth_txn";
const ORDINAL = "berth_ord";
const DELETE = "berth_delete";

export function sinkStatements<T>(options: ResolvedPostgresSinkOptions<T>): SinkStatements {
  const table = quoteTable(options.table);
  const staging = quoteTable(options.stagingTable);
  const markers = quoteTable(options.markerTable);
  const cols = options.columns.map(quoteIdentifier);
  const list = cols.join(", ");
  const upsert = options.mode === "upsert";
  const staged =
    upsert || (options.protocol === "idempotent" && options.deliveryGuarantee === "exactly-once");
  const setup = [
    `CREATE TABLE IF NOT EXISTS ${markers} (gid text PRIMARY KEY, sink_prefix text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`,
  ];
  if (options.createTable !== undefined) {
    const defs = Object.entries(options.createTable).map(([c, type]) => `${quoteIdentifier(c)} ${type}`);
    const key = upsert ? `, PRIMARY KEY (${options.conflictKey.map(quoteIdentifier).join(", ")})` : "";
    setup.push(`CREATE TABLE IF NOT EXISTS ${table} (${defs.join(", ")}${key})`);
  }
  const common = {
    staged,
    insertMarker: `INSERT INTO ${markers} (gid, sink_prefix) VALUES ($1, $2) ON CONFLICT (gid) DO NOTHING`,
    selectMarker: `SELECT 1 FROM ${markers} WHERE gid = $1`,
    stagedNames: `SELECT DISTINCT ${TXN} AS name FROM ${staging} WHERE ${TXN} LIKE $1`,
    dropStaged: `DELETE FROM ${staging} WHERE ${TXN} = $1`,
  };
  if (!staged) return { ...common, copy: `COPY ${table} (${list}) FROM STDIN`, apply: [], setup };
  // Regular and logged, never TEMP (a transaction that touched a temporary table cannot be
  // prepared) nor UNLOGGED (crash recovery empties it). Only the mapped columns' types, no
  // constraints: a delete carries its key alone.
  const index = quoteIdentifier(`${options.stagingTable.name.slice(0, 55)}_txn`);
  setup.push(
    `CREATE TABLE IF NOT EXISTS ${staging} AS SELECT ${list}, ''::text AS ${TXN}, 0::bigint AS ${ORDINAL}, false AS ${DELETE} FROM ${table} WITH NO DATA`,
    `CREATE INDEX IF NOT EXISTS ${index} ON ${staging} (${TXN}, ${ORDINAL})`,
  );
  return {
    ...common,
    copy: `COPY ${staging} (${list}, ${TXN}, ${ORDINAL}, ${DELETE}) FROM STDIN`,
    apply: [
      upsert ? mergeStatement(options, table, staging, cols) : appendStatement(table, staging, list),
      common.dropStaged,
    ],
    setup,
  };
}

function appendStatement(table: string, staging: string, list: string): string {
  return `INSERT INTO ${table} (${list}) SELECT ${list} FROM ${staging} WHERE ${TXN} = $1 ORDER BY ${ORDINAL}`;
}

/**
 * Two rows of one key in one INSERT … ON CONFLICT fail ("cannot affect row a second time"):
 * keep the last record of each key in input order, then delete or upsert it, in one statement.
 */
function mergeStatement<T>(
  options: ResolvedPostgresSinkOptions<T>,
  table: string,
  staging: string,
  cols: readonly string[],
): string {
  const list = cols.join(", ");
  const key = options.conflictKey.map(quoteIdentifier);
  const keyList = key.join(", ");
  const matches = key.map((k) => `berth_target.${k} = berth_latest.${k}`).join(" AND ");
  const others = cols.filter((c) => !key.includes(c));
  const onConflict =
    others.length === 0
      ? "DO NOTHING"
      : `DO UPDATE SET ${others.map((c) => `${c} = EXCLUDED.${c}`).join(", ")}`;
  return `WITH berth_latest AS (SELECT DISTINCT ON (${keyList}) ${list}, ${DELETE} FROM ${staging} WHERE ${TXN} = $1 ORDER BY ${keyList}, ${ORDINAL} DESC), berth_deleted AS (DELETE FROM ${table} AS berth_target USING berth_latest WHERE berth_latest.${DELETE} AND ${matches}) INSERT INTO ${table} (${list}) SELECT ${list} FROM berth_latest WHERE NOT berth_latest.${DELETE} ON CONFLICT (${keyList}) ${onConflict}`;
}
