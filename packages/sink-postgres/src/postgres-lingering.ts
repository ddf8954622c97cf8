/**
 * Lingering transaction cleanup (DESIGN.md, sink contract rule 5): every prepared transaction
 * (or, in the idempotent protocol, every set of staged rows) of this database whose gid the core's lingering scope calls lingering — an attempt name of
 * this prefix that the restored state does not hold, of any subtask, also one that no longer
 * exists — is rolled back. The listing is narrowed by the core's escaped `LIKE` pattern and
 * decided by its parser, so prefix `a` never touches a gid of prefix `a-b`.
 */
import type { RecoverContext } from "@berth/core/connector";
import type pg from "pg";
import { sqlState } from "./internal/connection.js";
import { quoteLiteral } from "./internal/sql.js";
import type { SinkStatements } from "./internal/statements.js";
import type { PostgresCommittable } from "./postgres-committable.js";

/** The gids of this database's prepared transactions that match the prefix's LIKE pattern. */
export async function preparedUnderPrefix(client: pg.Client, likePattern: string): Promise<string[]> {
  const { rows } = await client.query<{ gid: string }>(
    "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE $1 ORDER BY gid",
    [likePattern],
  );
  return rows.map((r) => r.gid);
}

/** Rolls back the lingering prepared transactions; returns their gids. */
export async function rollbackLingering(
  client: pg.Client,
  context: RecoverContext<PostgresCommittable>,
): Promise<string[]> {
  const rolledBack: string[] = [];
  for (const gid of await preparedUnderPrefix(client, context.names.likePattern())) {
    if (!context.lingering.isLingering(gid)) continue;
    try {
      await client.query(`ROLLBACK PREPARED ${quoteLiteral(gid)}`);
      rolledBack.push(gid);
    } catch (error) {
      // Ended meanwhile by someone else (an operator): nothing left to roll back.
      if (sqlState(error) !== "42704") throw error;
    }
  }
  return rolledBack;
}

/** The idempotent protocol: deletes the staged rows of lingering transactions; returns their names. */
export async function dropLingeringStaged(
  client: pg.Client,
  context: RecoverContext<PostgresCommittable>,
  statements: SinkStatements,
): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(statements.stagedNames, [
    context.names.likePattern(),
  ]);
  const dropped: string[] = [];
  for (const { name } of rows) {
    if (!context.lingering.isLingering(name)) continue;
    await client.query(statements.dropStaged, [name]);
    dropped.push(name);
  }
  return dropped.sort();
}
