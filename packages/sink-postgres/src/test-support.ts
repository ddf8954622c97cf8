/**
 * Helpers for this package's integration tests (real server at PG_URL, default
 * postgres://postgres@127.0.0.1:5432/berth): table names unique to a run, and readers that use
 * a `pg` client of the test's own — plain SQL, never the sink's code. Not part of the package API.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/berth";

/** A table name unique to this run (lower case, ≤ 63 bytes). */
export function uniqueTable(what: string): string {
  return `berth_${what.replace(/[^a-z0-9]/g, "_")}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`.slice(
    0,
    63,
  );
}

/** Runs `body` with a connected client of the test's own. */
export async function withClient<R>(body: (client: pg.Client) => Promise<R>, url = PG_URL): Promise<R> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** Every `seq` the table holds as committed, one per row, in ascending order. */
export function committedSeqs(table: string, url = PG_URL): Promise<number[]> {
  return withClient(async (client) => {
    const { rows } = await client.query<{ seq: string }>(
      `SELECT seq FROM ${pg.escapeIdentifier(table)} ORDER BY seq`,
    );
    return rows.map((r) => Number(r.seq));
  }, url);
}

/** Gids of prepared transactions of this database that start with the string `prefix` (no pattern, no parser). */
export function preparedStartingWith(prefix: string, url = PG_URL): Promise<string[]> {
  return withClient(async (client) => {
    const { rows } = await client.query<{ gid: string }>(
      "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND left(gid, length($1)) = $1 ORDER BY gid",
      [prefix],
    );
    return rows.map((r) => r.gid);
  }, url);
}

export async function dropTable(table: string, url = PG_URL): Promise<void> {
  await withClient((client) => client.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(table)}`), url);
}
