/**
 * Helpers for this package's integration tests (real server at PG_URL, default
 * postgres://postgres@127.0.0.1:5432/berth): table names unique to a run, and readers that use
 * a `pg` client of the test's own — plain SQL, never the sink's code — and a harness that drives
 * one writer and committer by hand. Not part of the package API.
 */
import { randomBytes } from "node:crypto";
import { newAttemptId, SinkNames, type SinkWriterContext } from "@berth/core/connector";
import pg from "pg";
import { expect } from "vitest";
import type { PostgresCommittable } from "./postgres-committable.js";
import { postgresSink } from "./postgres-sink.js";
import { type PostgresSinkOptions, resolvePostgresSinkOptions } from "./postgres-sink-options.js";

export const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/berth";

/** Every name {@link uniqueTable} gave in this test file, for {@link dropCreatedTables}. */
const named = new Set<string>();

/** A table name unique to this run (lower case, ≤ 63 bytes); {@link dropCreatedTables} drops it. */
export function uniqueTable(what: string): string {
  const name =
    `berth_${what.replace(/[^a-z0-9]/g, "_")}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`.slice(
      0,
      63,
    );
  named.add(name);
  return name;
}

/**
 * Drops every table of the shared database this test file named with {@link uniqueTable}, with
 * the staging tables beside it (`<name>_stage`, or the sink's default), and deletes the commit
 * markers of the prefixes the tests derive from those names (`_` → `-`). A table a leftover
 * prepared transaction still locks is left (bounded wait): for `afterAll`.
 */
export async function dropCreatedTables(): Promise<void> {
  const names = [...named];
  named.clear();
  const defaultStaging = (table: string) =>
    resolvePostgresSinkOptions({ connectionString: PG_URL, table, columns: ["x"], row: () => [] })
      .stagingTable.name;
  await withClient(async (client) => {
    await client.query("SET lock_timeout = '5s'");
    for (const table of names.flatMap((n) => [n, `${n}_stage`, defaultStaging(n)]))
      await client.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(table)}`).catch(() => undefined);
    const prefixes = names.map((n) => n.replaceAll("_", "-"));
    await client
      .query("DELETE FROM berth_commit_markers WHERE sink_prefix = ANY($1)", [prefixes])
      .catch(() => undefined);
    await client
      .query("DELETE FROM berth_commit_markers_pruned WHERE sink_prefix = ANY($1)", [prefixes])
      .catch(() => undefined);
  });
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

/** One writer and committer on subtask 0, driven by hand: each `checkpoint` is prepared and committed. */
export async function sinkHarness<T>(options: Omit<PostgresSinkOptions<T>, "connectionString">) {
  const prefix = uniqueTable("u").replaceAll("_", "-");
  let checkpointId = 1;
  const context = (): SinkWriterContext => ({
    sinkPrefix: prefix,
    names: new SinkNames(prefix),
    uid: "postgres",
    parallelism: 1,
    attemptId: newAttemptId(),
    subtask: 0,
    currentCheckpointId: () => checkpointId,
    log: { info() {}, warn() {} },
  });
  const sink = postgresSink<T>({ connectionString: PG_URL, ...options });
  /** What a start does once the restored commits are done: cleanup and setup, marker pruning. */
  const start = (started: SinkWriterContext) =>
    sink.abortLingering({
      ...started,
      restoredCommittables: [],
      restoredWriterStates: [],
      lingering: { names: started.names, subtasks: 1, vanishedSubtasks: [], isLingering: () => false },
    });
  const first = context();
  await start(first);
  const writer = await sink.createWriter(first, undefined);
  const committer = await sink.createCommitter(first);
  const prepare = async (records: T[]) => {
    for (const r of records) await writer.write(r);
    await writer.flush(false);
    const committables = (await writer.prepareCommit()) as PostgresCommittable[];
    checkpointId++;
    return committables;
  };
  return {
    prefix,
    prepare,
    commit: (c: PostgresCommittable) => committer.commit(c),
    async checkpoint(records: T[]): Promise<void> {
      for (const c of await prepare(records)) expect((await committer.commit(c)).kind).toBe("committed");
    },
    /** Another start under the prefix (a new attempt), as a restarted job's. */
    restart: () => start(context()),
    async close() {
      await writer.close();
      await committer.close();
    },
  };
}
