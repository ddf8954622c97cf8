/**
 * Commits prepared transactions with `COMMIT PREPARED` on the committer's own session, never
 * the writer's (whose next transaction may wait on locks the prepared one holds). A gid gone
 * from `pg_prepared_xacts` was committed only if its marker says so; without the marker its
 * rows are lost, a known permanent failure.
 */
import { type CommitOutcome, CommitOutcomes, type Committer } from "@berth/core";
import type pg from "pg";
import { PostgresError, PREPARED_TRANSACTION_LOST } from "./errors.js";
import {
  type ConnectionSettings,
  connect,
  describePgError,
  isConnectionLost,
  sqlState,
} from "./internal/connection.js";
import { quoteLiteral } from "./internal/sql.js";
import type { PostgresCommittable } from "./postgres-committable.js";

/** SQLSTATE of `COMMIT PREPARED` for a gid the server does not hold. */
const UNDEFINED_OBJECT = "42704";
/** SQLSTATE of a prepared transaction another session is ending right now. */
const OBJECT_IN_USE = "55006";

export class PostgresCommitter implements Committer<PostgresCommittable> {
  private client: pg.Client | undefined;

  constructor(
    private readonly settings: ConnectionSettings,
    /** The session's name in messages and `pg_stat_activity`. */
    private readonly role: string,
    /** `$1` gid → a row when the transaction's marker exists. */
    private readonly selectMarker: string,
    private readonly release: () => Promise<void>,
  ) {}

  private async session(): Promise<pg.Client> {
    this.client ??= await connect(this.settings, this.role);
    return this.client;
  }

  async commit(committable: PostgresCommittable): Promise<CommitOutcome> {
    try {
      const client = await this.session();
      try {
        await client.query(`COMMIT PREPARED ${quoteLiteral(committable.gid)}`);
        return CommitOutcomes.committed;
      } catch (error) {
        if (sqlState(error) !== UNDEFINED_OBJECT) throw error;
      }
      const marker = await client.query(this.selectMarker, [committable.gid]);
      if ((marker.rowCount ?? 0) > 0) return CommitOutcomes.alreadyCommitted;
      return CommitOutcomes.failedKnown(
        PREPARED_TRANSACTION_LOST,
        `prepared transaction ${committable.gid} is gone from the server without its commit marker: it was rolled back (by an operator, or ROLLBACK PREPARED from another job under this prefix), so its ${committable.records} record(s) for ${committable.table} are lost`,
      );
    } catch (error) {
      const unreachable = error instanceof PostgresError && error.code === "POSTGRES_UNREACHABLE";
      if (unreachable || isConnectionLost(error) || sqlState(error) === OBJECT_IN_USE) {
        await this.drop();
        return CommitOutcomes.retryLater(
          `COMMIT PREPARED ${committable.gid}: ${describePgError(error)}`,
          error,
        );
      }
      return CommitOutcomes.failedUnknown(
        `COMMIT PREPARED ${committable.gid}: ${describePgError(error)}`,
        error,
      );
    }
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.drop();
    await this.release();
  }
}
