/**
 * Writes a checkpoint's records in one transaction on the subtask's own session: batches of
 * COPY text (`COPY … FROM STDIN`), for upsert into the staging table and merged at the end;
 * on pre-commit the commit marker, then `PREPARE TRANSACTION '<gid>'`. The transaction
 * opens lazily, for the first record after a barrier, under the attempt name of the
 * checkpoint that will close it.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { SinkWriter, SinkWriterContext } from "@berth/core/connector";
import type pg from "pg";
import copyStreams from "pg-copy-streams";
import { PostgresError, PostgresRecordRejectedError } from "./errors.js";
import { describePgError, isConnectionLost, serverLabel } from "./internal/connection.js";
import { CopyValueError, copyField, copyLine } from "./internal/copy-text.js";
import { quoteLiteral, tableLabel } from "./internal/sql.js";
import type { SinkStatements } from "./internal/statements.js";
import type { PostgresCommittable } from "./postgres-committable.js";
import type { ResolvedPostgresSinkOptions } from "./postgres-sink-options.js";

interface OpenTransaction {
  readonly gid: string;
  /** BEGIN has been sent. */
  begun: boolean;
  /** Records written into the transaction so far (sent and buffered). */
  records: number;
}

export class PostgresWriter<T> implements SinkWriter<T, PostgresCommittable> {
  private transaction: OpenTransaction | undefined;
  private lines: string[] = [];
  /** The records of {@link lines}, so a row the server refuses is named. */
  private batch: T[] = [];
  private bufferedBytes = 0;

  constructor(
    private readonly context: SinkWriterContext,
    private readonly client: pg.Client,
    private readonly options: ResolvedPostgresSinkOptions<T>,
    private readonly statements: SinkStatements,
  ) {}

  write(record: T): void | Promise<void> {
    const transaction = this.transaction ?? {
      gid: this.context.names.attempt({
        subtask: this.context.subtask,
        attemptId: this.context.attemptId,
        checkpointId: this.context.currentCheckpointId(),
      }),
      begun: false,
      records: 0,
    };
    // A record that cannot be encoded is rejected before anything of it (or a transaction for it) exists.
    const line = this.encode(record, transaction);
    this.transaction = transaction;
    transaction.records++;
    this.lines.push(line);
    this.batch.push(record);
    this.bufferedBytes += line.length;
    if (this.bufferedBytes >= this.options.bufferBytes) return this.sendBatch();
  }

  /** The record's COPY line; a {@link PostgresRecordRejectedError} when the mapping cannot give one. */
  private encode(record: T, transaction: OpenTransaction): string {
    let values: readonly unknown[];
    let deleted = false;
    try {
      values = this.options.row(record);
      if (this.statements.staged) deleted = this.options.isDelete?.(record) === true;
    } catch (error) {
      throw this.recordRejected(record, `the column mapping threw: ${(error as Error).message}`, error);
    }
    if (!Array.isArray(values) || values.length !== this.options.columns.length) {
      throw this.recordRejected(
        record,
        `the column mapping gave ${Array.isArray(values) ? `${values.length} values` : typeof values} for ${this.options.columns.length} columns (${this.options.columns.join(", ")})`,
      );
    }
    try {
      const line = copyLine(values as Parameters<typeof copyLine>[0]);
      if (!this.statements.staged) return line;
      return `${line.slice(0, -1)}\t${copyField(transaction.gid)}\t${copyField(transaction.records)}\t${copyField(deleted)}\n`;
    } catch (error) {
      if (!(error instanceof CopyValueError)) throw error;
      const index = values.findIndex((v) => {
        try {
          copyField(v as Parameters<typeof copyField>[0]);
          return false;
        } catch {
          return true;
        }
      });
      throw this.recordRejected(record, `column "${this.options.columns[index]}" ${error.message}`, error);
    }
  }

  private recordRejected(record: T, why: string, cause?: unknown): PostgresRecordRejectedError {
    return new PostgresRecordRejectedError(
      "POSTGRES_RECORD_INVALID",
      `postgres sink: record ${preview(record)} cannot be written to ${tableLabel(this.options.table)}: ${why}; fix the record or the column mapping`,
      { cause },
    );
  }

  private async query(sql: string, values?: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.client.query(sql, values);
    } catch (error) {
      throw this.writeFailed(error);
    }
  }

  private writeFailed(error: unknown): PostgresError {
    const where = `${serverLabel(this.options.connectionString)}, subtask ${this.context.subtask}, transaction ${this.transaction?.gid}`;
    return isConnectionLost(error)
      ? new PostgresError(
          "POSTGRES_WRITE_FAILED",
          `postgres sink: lost the writer's connection (${where}) before the transaction was prepared: ${describePgError(error)}; the job recovers from its last checkpoint`,
          { cause: error },
        )
      : new PostgresError(
          "POSTGRES_WRITE_FAILED",
          `postgres sink: writing failed (${where}): ${describePgError(error)}`,
          {
            cause: error,
          },
        );
  }

  private async sendBatch(): Promise<void> {
    const transaction = this.transaction;
    if (!transaction || this.lines.length === 0) return;
    const payload = this.lines.join("");
    const batch = this.batch;
    this.lines = [];
    this.batch = [];
    this.bufferedBytes = 0;
    if (!transaction.begun) {
      await this.query("BEGIN");
      transaction.begun = true;
    }
    try {
      await pipeline(Readable.from([payload]), this.client.query(copyStreams.from(this.statements.copy)));
    } catch (error) {
      throw this.rowRejected(error, batch);
    }
  }

  /** A COPY error names the line; the batch says which record that was. */
  private rowRejected(error: unknown, batch: readonly T[]): PostgresError {
    if (isConnectionLost(error) || typeof (error as { code?: unknown }).code !== "string")
      return this.writeFailed(error);
    const e = error as { where?: string; constraint?: string; column?: string };
    const line = Number(/line (\d+)/.exec(e.where ?? "")?.[1]);
    const record = Number.isInteger(line) ? batch[line - 1] : undefined;
    const what = e.constraint
      ? `constraint "${e.constraint}"`
      : e.column
        ? `column "${e.column}"`
        : (e.where ?? "a row");
    return new PostgresError(
      "POSTGRES_ROW_REJECTED",
      `postgres sink: ${tableLabel(this.options.table)} refused ${record === undefined ? "a record" : `record ${preview(record)}`} (${what}): ${describePgError(error)}; fix the record or the table — nothing of this checkpoint was applied, earlier checkpoints stay committed`,
      { cause: error },
    );
  }

  async flush(): Promise<void> {
    await this.sendBatch();
  }

  async prepareCommit(): Promise<PostgresCommittable[]> {
    const transaction = this.transaction;
    if (!transaction) return [];
    await this.sendBatch();
    this.transaction = undefined;
    const committable = {
      gid: transaction.gid,
      table: tableLabel(this.options.table),
      records: transaction.records,
    };
    if (this.options.deliveryGuarantee === "exactly-once" && this.options.protocol === "idempotent") {
      const preparedAt = startOf(await this.query(this.statements.transactionStart));
      // The staged rows are committed now, invisible in the table; the commit applies them.
      await this.query("COMMIT");
      return [{ ...committable, staged: true, preparedAt }];
    }
    for (const statement of this.statements.apply) {
      try {
        await this.client.query(statement, [transaction.gid]);
      } catch (error) {
        throw this.rowRejected(error, []);
      }
    }
    if (this.options.deliveryGuarantee === "at-least-once") {
      await this.query("COMMIT");
      return [];
    }
    // The marker proves, once the gid is gone from pg_prepared_xacts, that it was committed.
    const preparedAt = startOf(
      await this.query(this.statements.insertMarker, [transaction.gid, this.context.sinkPrefix]),
    );
    // PREPARE TRANSACTION takes no bind parameter: the gid goes in as a quoted literal.
    await this.query(`PREPARE TRANSACTION ${quoteLiteral(transaction.gid)}`);
    return [{ ...committable, preparedAt }];
  }

  async close(): Promise<void> {
    // An open transaction never reached a checkpoint: rolling it back (or the session ending) aborts it.
    if (this.transaction?.begun) await this.client.query("ROLLBACK").catch(() => undefined);
    this.transaction = undefined;
    await this.client.end().catch(() => undefined);
  }
}

/** A statement's `at`: when the transaction began on the server's clock, which the marker horizon is measured by. */
function startOf(result: pg.QueryResult): number {
  return Number(result.rows[0]?.at);
}

function preview(record: unknown): string {
  let text: string;
  try {
    text =
      JSON.stringify(record, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? String(record);
  } catch {
    text = String(record);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
