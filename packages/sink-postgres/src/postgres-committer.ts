/**
 * Commits pre-committed transactions on the committer's own session, never the writer's
 * (whose next transaction may wait on locks the prepared one holds).
 *
 * - Prepared: `COMMIT PREPARED`. A gid gone from `pg_prepared_xacts` was committed only if its
 *   marker says so; without the marker its rows are lost, a known permanent failure.
 * - Idempotent (`staged`): one transaction inserts the commit-log row (the marker; a conflict
 *   means already committed), applies the staged rows and deletes them. No staged rows and no
 *   commit-log row is a known permanent failure, never "nothing to apply".
 *
 * A missing marker older than the prefix's pruning horizon is told apart from a lost
 * transaction: the point restored is older than the marker retention (internal/marker-retention.ts).
 * After its commits, the committer prunes the prefix's old markers when due.
 */
import { type CommitOutcome, CommitOutcomes, type Committer, type SinkContext } from "@berth/core/connector";
import type pg from "pg";
import {
  COMMIT_MARKER_PRUNED,
  PostgresError,
  PREPARED_TRANSACTION_LOST,
  STAGED_ROWS_LOST,
} from "./errors.js";
import {
  type ConnectionSettings,
  connect,
  describePgError,
  isConnectionLost,
  sqlState,
} from "./internal/connection.js";
import type { MarkerRetention } from "./internal/marker-retention.js";
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
    private readonly context: SinkContext,
    private readonly statements: SinkStatements,
    private readonly retention: MarkerRetention,
  ) {}

  private async session(): Promise<pg.Client> {
    // The session's name in messages and `pg_stat_activity`.
    this.client ??= await connect(this.settings, `committer ${this.context.sinkPrefix}`);
    return this.client;
  }

  async commit(committable: PostgresCommittable): Promise<CommitOutcome> {
    const what = `${committable.staged ? "applying staged" : "COMMIT PREPARED"} ${committable.gid}`;
    try {
      const client = await this.session();
      const outcome = committable.staged
        ? await this.applyStaged(client, committable)
        : await this.commitPrepared(client, committable);
      if (outcome.kind === "committed") await this.pruneIfDue(client);
      return outcome;
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
    return (
      (await this.pastRetention(client, committable, "prepared transaction")) ??
      CommitOutcomes.failedKnown(
        PREPARED_TRANSACTION_LOST,
        `prepared transaction ${committable.gid} is gone from the server without its commit marker: it was rolled back (by an operator, or ROLLBACK PREPARED from another job under this prefix), so its ${committable.records} record(s) for ${committable.table} are lost`,
      )
    );
  }

  /** The outcome of a committable whose marker may have been pruned, if it may have. */
  private async pastRetention(
    client: pg.Client,
    committable: PostgresCommittable,
    what: string,
  ): Promise<CommitOutcome | undefined> {
    const horizon = await this.retention.prunedHorizon(client, this.context.sinkPrefix, committable);
    if (horizon === undefined) return undefined;
    const began =
      committable.preparedAt === undefined
        ? ""
        : ` (begun ${new Date(committable.preparedAt).toISOString()})`;
    return CommitOutcomes.failedKnown(
      COMMIT_MARKER_PRUNED,
      `${what} ${committable.gid}${began} is older than the commit-marker retention: markers of prefix ${this.context.sinkPrefix} written before ${horizon.toISOString()} were pruned (markerRetentionMs), so whether its ${committable.records} record(s) for ${committable.table} were committed cannot be proven — they were, unless an operator ended it by hand. The restore point holding it is older than the retention: restore a newer one, or restart from it with --skip-failed-committables to go on without this commit`,
    );
  }

  /** Prunes old markers when due; a failed prune is only logged: the commit stands, the next one tries again. */
  private async pruneIfDue(client: pg.Client): Promise<void> {
    try {
      await this.retention.pruneIfDue(client, this.context.sinkPrefix, this.context.attemptId);
    } catch (error) {
      this.context.log.warn(`postgres sink: pruning old commit markers failed: ${describePgError(error)}`, {
        prefix: this.context.sinkPrefix,
      });
    }
  }

  private async applyStaged(client: pg.Client, committable: PostgresCommittable): Promise<CommitOutcome> {
    await client.query("BEGIN");
    try {
      const logged = await client.query(this.statements.insertMarker, [
        committable.gid,
        this.context.sinkPrefix,
      ]);
      if ((logged.rowCount ?? 0) === 0) {
        await client.query("ROLLBACK");
        return CommitOutcomes.alreadyCommitted;
      }
      const [apply, drop] = this.statements.apply as [string, string];
      await client.query(apply, [committable.gid]);
      const staged = (await client.query(drop, [committable.gid])).rowCount ?? 0;
      if (staged === 0 && committable.records > 0) {
        await client.query("ROLLBACK");
        const pruned = await this.pastRetention(client, committable, "idempotent transaction");
        if (pruned) return pruned;
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
