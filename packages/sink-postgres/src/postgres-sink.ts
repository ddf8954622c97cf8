/**
 * The PostgreSQL sink: only wiring. The writer owns each checkpoint's transaction and prepares
 * it (postgres-writer.ts), the committer commits it on its own session (postgres-committer.ts),
 * lingering prepared transactions of earlier runs are rolled back at every start
 * (postgres-lingering.ts), old commit markers are pruned (internal/marker-retention.ts), and
 * the prefix is claimed at the server while the job runs (`claimPrefix`, internal/prefix-claim.ts).
 */
import type { RecoverContext, Sink, SinkLog } from "@berth/core/connector";
import type pg from "pg";
import { PostgresError } from "./errors.js";
import { type ConnectionSettings, connect, serverLabel, sqlState } from "./internal/connection.js";
import { MarkerRetention } from "./internal/marker-retention.js";
import { claimPrefixAt, type PostgresPrefixClaim } from "./internal/prefix-claim.js";
import { tableLabel } from "./internal/sql.js";
import { type SetupStatement, sinkStatements } from "./internal/statements.js";
import { type PostgresCommittable, postgresCommittableCodec } from "./postgres-committable.js";
import { PostgresCommitter } from "./postgres-committer.js";
import { dropLingeringStaged, rollbackLingering } from "./postgres-lingering.js";
import {
  checkMarkerRetention,
  type PostgresSinkOptions,
  resolvePostgresSinkOptions,
} from "./postgres-sink-options.js";
import { PostgresWriter } from "./postgres-writer.js";

/**
 * PostgreSQL keeps a gid in a 200-byte buffer with its terminating NUL (GIDSIZE), so a gid has
 * at most 199 bytes.
 */
export const MAX_GID_BYTES = 199;

/**
 * An exactly-once PostgreSQL sink on prepared transactions:
 *
 * ```ts
 * pipeline.map((seq) => ({ seq })).sinkTo(
 *   postgresSink({ connectionString: "postgres://postgres@127.0.0.1:5432/berth", table: "sequence", columns: { seq: "seq" } }),
 *   { uid: "postgres", sinkPrefix: "sequence-to-postgres" },
 * );
 * ```
 */
export function postgresSink<T>(options: PostgresSinkOptions<T>): Sink<T, PostgresCommittable> {
  const resolved = resolvePostgresSinkOptions(options);
  const statements = sinkStatements(resolved);
  const settings: ConnectionSettings = resolved;
  const exactlyOnce = resolved.deliveryGuarantee === "exactly-once";
  const prepared = exactlyOnce && resolved.protocol === "prepared";
  const retention = new MarkerRetention(statements, resolved.markerRetentionMs);
  /** The job's claim on its prefix, re-taken at a start that finds its session gone. */
  let claim: PostgresPrefixClaim | undefined;
  return {
    kind: "postgres",
    committable: postgresCommittableCodec,
    targetIdentity: () =>
      `postgres://${serverLabel(resolved.connectionString)}/${tableLabel(resolved.table)}`,
    maxNameBytes: MAX_GID_BYTES,
    transactionName: (committable) => committable.gid,
    // An advisory lock on a session of its own, held by the job from before its restore to its end.
    async claimPrefix(context) {
      claim = await claimPrefixAt(settings, context.sinkPrefix);
      return claim;
    },
    async validate({ checkpointIntervalMs }) {
      if (exactlyOnce) checkMarkerRetention(resolved.markerRetentionMs, checkpointIntervalMs);
    },
    async createCommitter(context) {
      // The first hook of a start that has restored commits: the claim comes before them.
      await claim?.ensureHeld();
      return new PostgresCommitter(settings, context, statements, retention);
    },
    async abortLingering(context) {
      // A server restart (what makes a job fail over) ends the claim's session and its lock.
      await claim?.ensureHeld();
      const client = await connect(settings, `lingering cleanup ${context.sinkPrefix}`);
      try {
        if (prepared) await checkPreparedTransactions(client, context, resolved.pendingCheckpoints, settings);
        for (const ddl of statements.setup) await runDdl(client, ddl, context.log);
        // Prepared transactions of an earlier prepared run are rolled back whatever the protocol now.
        const rolledBack = exactlyOnce ? await rollbackLingering(client, context) : [];
        if (exactlyOnce && statements.staged)
          rolledBack.push(...(await dropLingeringStaged(client, context, statements)));
        // After the restored commits (done before this call), which may need old markers.
        const pruned = exactlyOnce
          ? await retention.pruneAtStart(client, context.sinkPrefix, context.attemptId)
          : 0;
        if (pruned > 0)
          context.log.info(`postgres sink: pruned ${pruned} commit marker(s) past markerRetentionMs`, {
            prefix: context.sinkPrefix,
          });
        if (rolledBack.length > 0) {
          context.log.info(
            `postgres sink: ${prepared ? "rolled back" : "deleted the staged rows of"} ${rolledBack.length} lingering transaction(s)`,
            {
              prefix: context.sinkPrefix,
              gids: rolledBack,
            },
          );
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async createWriter(context) {
      let client: pg.Client | undefined;
      try {
        client = await connect(settings, `writer ${context.sinkPrefix}-${context.subtask}`);
        // A server default must not kill a checkpoint's transaction while it waits for the barrier.
        await client.query("SET idle_in_transaction_session_timeout = 0");
        return new PostgresWriter<T>(context, client, resolved, statements);
      } catch (error) {
        await client?.end().catch(() => undefined);
        throw error;
      }
    },
  };
}

/** How long creating a missing index may wait for its table's lock. */
const INDEX_LOCK_TIMEOUT = "10s";

/**
 * `CREATE … IF NOT EXISTS` of two sessions at once may still collide on the catalog: then it
 * exists. An index is created only when missing; one whose table stays locked (55P03) is left
 * for the next start: the sink is correct without it, only slower.
 */
async function runDdl(client: pg.Client, ddl: SetupStatement, log: SinkLog): Promise<void> {
  if (ddl.index !== undefined) {
    const { rows } = await client.query("SELECT to_regclass($1) IS NOT NULL AS present", [ddl.index]);
    if (rows[0]?.present) return;
  }
  try {
    if (ddl.index === undefined) {
      await client.query(ddl.sql);
    } else {
      await client.query("BEGIN");
      await client.query(`SET LOCAL lock_timeout = '${INDEX_LOCK_TIMEOUT}'`);
      await client.query(ddl.sql);
      await client.query("COMMIT");
    }
  } catch (error) {
    if (ddl.index !== undefined) await client.query("ROLLBACK").catch(() => undefined);
    const state = sqlState(error);
    if (state === "55P03") {
      log.warn(
        `postgres sink: index ${ddl.index} was not created: its table stayed locked for ${INDEX_LOCK_TIMEOUT} (prepared transactions hold their locks until they end); the next start tries again`,
      );
      return;
    }
    if (state !== "23505" && state !== "42P07") throw error;
  }
}

async function checkPreparedTransactions(
  client: pg.Client,
  context: RecoverContext<PostgresCommittable>,
  pendingCheckpoints: number,
  settings: ConnectionSettings,
): Promise<void> {
  const { rows } = await client.query<{ max_prepared_transactions: string }>(
    "SHOW max_prepared_transactions",
  );
  const current = Number(rows[0]?.max_prepared_transactions);
  const needed = context.parallelism * (pendingCheckpoints + 1);
  if (current >= needed) return;
  throw new PostgresError(
    "POSTGRES_PREPARED_TRANSACTIONS_TOO_FEW",
    `postgres sink: max_prepared_transactions is ${current} on ${serverLabel(settings.connectionString)}, this sink needs at least ${needed} (parallelism ${context.parallelism} × (pendingCheckpoints ${pendingCheckpoints} + 1)); set it with ALTER SYSTEM SET max_prepared_transactions = ${needed} (or in postgresql.conf) and restart the server — the setting is server-wide, so prepared transactions of other jobs count against it too`,
  );
}
