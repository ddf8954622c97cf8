/**
 * Every SQL statement the sink runs, built once from the options with every name quoted:
 * the COPY into the table, or into the staging table (upsert, and the idempotent protocol),
 * applying a transaction's staged rows, the commit marker and its pruning, and the DDL of the
 * tables the sink creates.
 *
 * Staged rows carry the name of their transaction (`berth_txn`), their input order
 * (`berth_ord`) and whether they delete their key (`berth_delete`), so one staging table serves
 * many transactions at once, and lingering ones can be found by name.
 */
import type { ResolvedPostgresSinkOptions } from "../postgres-sink-options.js";
import { quoteIdentifier, quoteTable, type TableName } from "./sql.js";

/** A statement of the setup DDL; an index is created only when `to_regclass(index)` finds none. */
export interface SetupStatement {
  readonly sql: string;
  /** The index's quoted (schema-qualified) name, for an index. */
  readonly index?: string;
}

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
  /**
   * `$1` gid, `$2` sink prefix: records the name inside its transaction, returning `at` (its
   * transaction's start on the server's clock, epoch ms); no row when it is recorded already.
   */
  readonly insertMarker: string;
  /** `$1` gid: whether the marker of a committed transaction exists. */
  readonly selectMarker: string;
  /** The start of the current transaction on the server's clock, epoch ms, as `at`. */
  readonly transactionStart: string;
  /**
   * `$1` sink prefix, `$2` retention in ms: deletes the prefix's markers written before
   * now − retention and raises its recorded horizon to that time, in one statement.
   */
  readonly pruneMarkers: string;
  /**
   * `$1` sink prefix, `$2` epoch ms (or NULL): the prefix's horizon as `pruned_before`, when
   * markers of that time (or of an unknown time) may have been pruned; no row otherwise.
   */
  readonly prunedSince: string;
  /** `$1` LIKE pattern: names of transactions with staged rows. */
  readonly stagedNames: string;
  /** `$1` transaction name: deletes its staged rows (lingering cleanup). */
  readonly dropStaged: string;
  /** DDL run at start, in order (each idempotent). */
  readonly setup: readonly SetupStatement[];
}

const TXN = "berth_txn";
/** A timestamptz as epoch milliseconds (a JS number). */
const EPOCH_MS = (time: string) => `floor(extract(epoch FROM ${time}) * 1000)::float8`;

/** Where the prefixes' marker horizons live: beside the marker table, its name + `_pruned`. */
export function markerHorizonTable(markers: TableName): TableName {
  return { ...markers, name: `${markers.name}_pruned` };
}
const ORDINAL = "berth_ord";
const DELETE = "berth_delete";

export function sinkStatements<T>(options: ResolvedPostgresSinkOptions<T>): SinkStatements {
  const table = quoteTable(options.table);
  const staging = quoteTable(options.stagingTable);
  const markers = quoteTable(options.markerTable);
  const horizons = quoteTable(markerHorizonTable(options.markerTable));
  const cols = options.columns.map(quoteIdentifier);
  const list = cols.join(", ");
  const upsert = options.mode === "upsert";
  const staged =
    upsert || (options.protocol === "idempotent" && options.deliveryGuarantee === "exactly-once");
  const setup: SetupStatement[] = [
    {
      sql: `CREATE TABLE IF NOT EXISTS ${markers} (gid text PRIMARY KEY, sink_prefix text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`,
    },
    createIndex(options.markerTable, `${options.markerTable.name}_by_age`, "sink_prefix, written_at"),
    // Per prefix, the time before which its markers may be pruned: a commit that finds neither
    // its gid nor its marker tells "past the retention" from "rolled back" by it.
    {
      sql: `CREATE TABLE IF NOT EXISTS ${horizons} (sink_prefix text PRIMARY KEY, pruned_before timestamptz NOT NULL)`,
    },
  ];
  if (options.createTable !== undefined) {
    const defs = Object.entries(options.createTable).map(([c, type]) => `${quoteIdentifier(c)} ${type}`);
    const key = upsert ? `, PRIMARY KEY (${options.conflictKey.map(quoteIdentifier).join(", ")})` : "";
    setup.push({ sql: `CREATE TABLE IF NOT EXISTS ${table} (${defs.join(", ")}${key})` });
  }
  const common = {
    staged,
    insertMarker: `INSERT INTO ${markers} (gid, sink_prefix) VALUES ($1, $2) ON CONFLICT (gid) DO NOTHING RETURNING ${EPOCH_MS("written_at")} AS at`,
    selectMarker: `SELECT 1 FROM ${markers} WHERE gid = $1`,
    transactionStart: `SELECT ${EPOCH_MS("now()")} AS at`,
    // The horizon only moves forward; markers are deleted by the current retention alone.
    pruneMarkers: `WITH cutoff AS (SELECT now() - $2::bigint * interval '1 millisecond' AS at), horizon AS (INSERT INTO ${horizons} AS h (sink_prefix, pruned_before) SELECT $1, at FROM cutoff ON CONFLICT (sink_prefix) DO UPDATE SET pruned_before = GREATEST(h.pruned_before, EXCLUDED.pruned_before)) DELETE FROM ${markers} WHERE sink_prefix = $1 AND written_at < (SELECT at FROM cutoff)`,
    prunedSince: `SELECT pruned_before FROM ${horizons} WHERE sink_prefix = $1 AND ($2::float8 IS NULL OR to_timestamp($2::float8 / 1000) < pruned_before)`,
    stagedNames: `SELECT DISTINCT ${TXN} AS name FROM ${staging} WHERE ${TXN} LIKE $1`,
    dropStaged: `DELETE FROM ${staging} WHERE ${TXN} = $1`,
  };
  if (!staged) return { ...common, copy: `COPY ${table} (${list}) FROM STDIN`, apply: [], setup };
  // Regular and logged, never TEMP (a transaction that touched a temporary table cannot be
  // prepared) nor UNLOGGED (crash recovery empties it). Only the mapped columns' types, no
  // constraints: a delete carries its key alone.
  setup.push(
    {
      sql: `CREATE TABLE IF NOT EXISTS ${staging} AS SELECT ${list}, ''::text AS ${TXN}, 0::bigint AS ${ORDINAL}, false AS ${DELETE} FROM ${table} WITH NO DATA`,
    },
    createIndex(options.stagingTable, `${options.stagingTable.name.slice(0, 55)}_txn`, `${TXN}, ${ORDINAL}`),
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

/**
 * `CREATE INDEX IF NOT EXISTS` locks its table before it looks for the index, so it would wait
 * behind every prepared transaction that wrote the table — such as the lingering ones this start
 * has yet to roll back, or another job's — and every writer queued behind it would wait too. So
 * it runs only when the index is missing (`index`), with a bounded lock wait.
 */
function createIndex(table: TableName, index: string, columns: string): SetupStatement {
  return {
    sql: `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(index)} ON ${quoteTable(table)} (${columns})`,
    index: quoteTable({ ...table, name: index }),
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
