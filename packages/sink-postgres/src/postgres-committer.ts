/**
 * Commits pre-committed transactions on the committer's own session, never the writer's
 * (whose next transaction may wait on locks the prepared one holds).
 *
 * - Prepared: `COMMIT PREPARED`. A gid gone from `pg_prepared_xacts` was committed only if its
 *   marker says so; without the marker its rows are lost, a known permanent failure.
 * - Idempotent (`staged`): one transaction inserts the commit-log row (the marker; a conflict
 *   means already committed), applies the staged rows and deletes them. No staged rows and no
 *   commit-log row is a known permanent failure, never "nothing to apply".
 */
import { type CommitOutcome, CommitOutcomes, type Committer } from "@berth/core/connector";
import type pg from "pg";
import { PostgresError, PREPARED_TRANSACTION_LOST, STAGED_ROWS_LOST } from "./errors.js";
import {
  type ConnectionSettings,
  connect,
  describePgError,
  isConnectionLost,
  sqlState,
} from "./internal/connection.js";
import { quoteLiteral } from "./internal/sql.js";
import type { SinkStatements } from "./internal/statements.js";
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
    private readonly sinkPrefix: string,
    private readonly statements: SinkStatements,
  ) {}

  private async session(): Promise<pg.Client> {
    this.client ??= await connect(this.settings, this.role);
    return this.client;
  }

  async commit(committable: PostgresCommittable): Promise<CommitOutcome> {
    const what = `${committable.staged ? "applying staged" : "COMMIT PREPARED"} ${committable.gid}`;
    try {
      const client = await this.session();
      return committable.staged
        ? await this.applyStaged(client, committable)
        : await this.commitPrepared(client, committable);
    } catch (error) {
      const unreachable = error instanceof PostgresError && error.code === "POSTGRES_UNREACHABLE";
      if (unreachable || isConnectionLost(error) || sqlState(error) === OBJECT_IN_USE) {
        await this.drop();
        return CommitOutcomes.retryLater(`${what}: ${describePgError(error)}`, error);
      }
      return CommitOutcomes.failedUnknown(`${what}: ${describePgError(error)}`, error);
    }
  }

  private async commitPrepared(client: pg.Client, committable: PostgresCommittable): Promise<CommitOutcome> {
    try {
      await client.query(`COMMIT PREPARED ${quoteLiteral(committable.gid)}`);
      return CommitOutcomes.committed;
    } catch (error) {
      if (sqlState(error) !== UNDEFINED_OBJECT) throw error;
    }
    const marker = await client.query(this.statements.selectMarker, [committable.gid]);
    if ((marker.rowCount ?? 0) > 0) return CommitOutcomes.alreadyCommitted;
    return CommitOutcomes.failedKnown(
      PREPARED_TRANSACTION_LOST,
      `prepared transaction ${committable.gid} is gone from the server without its commit marker: it was rolled back (by an operator, or ROLLBACK PREPARED from another job under this prefix), so its ${committable.records} record(s) for ${committable.table} are lost`,
    );
  }

  private async applyStaged(client: pg.Client, committable: PostgresCommittable): Promise<CommitOutcome> {
    await client.query("BEGIN");
    try {
      const logged = await client.query(this.statements.insertMarker, [committable.gid, this.sinkPrefix]);
      if ((logged.rowCount ?? 0) === 0) {
        await client.query("ROLLBACK");
        return CommitOutcomes.alreadyCommitted;
      }
      const [apply, drop] = this.statements.apply as [string, string];
      await client.query(apply, [committable.gid]);
      const staged = (await client.query(drop, [committable.gid])).rowCount ?? 0;
      if (staged === 0 && committable.records > 0) {
        await client.query("ROLLBACK");
        return CommitOutcomes.failedKnown(
          STAGED_ROWS_LOST,
          `transaction ${committable.gid} has neither staged rows nor a commit-log row: its staged rows were deleted (by an operator, or lingering cleanup of another job under this prefix), so its ${committable.records} record(s) for ${committable.table} are lost`,
        );
      }
      await client.query("COMMIT");
      return CommitOutcomes.committed;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.drop();
  }
}
