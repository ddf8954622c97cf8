import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceEndpoints } from "./endpoints.js";

const { postgres: endpoint } = serviceEndpoints();
const run = `${Date.now()}_${randomBytes(3).toString("hex")}`;
const table = `berth_smoke_${run}`;

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: endpoint.connectionString,
    connectionTimeoutMillis: 5_000,
  });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `no PostgreSQL answers at ${endpoint.connectionString} (${(error as Error).message}): run 'pnpm services up' (or set PG_URL)`,
    );
  }
  return client;
}

const count = async (client: pg.Client) =>
  Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

describe(`PostgreSQL at ${endpoint.connectionString}`, () => {
  let observer: pg.Client;

  beforeAll(async () => {
    observer = await connect();
    await observer.query(`CREATE TABLE ${table} (seq bigint PRIMARY KEY)`);
  });

  afterAll(async () => {
    await observer.query(`DROP TABLE IF EXISTS ${table}`);
    await observer.end();
  });

  /** Prepares a transaction inserting `rows` on its own connection, then closes that connection. */
  async function prepare(gid: string, rows: number[]): Promise<void> {
    const writer = await connect();
    try {
      await writer.query("BEGIN");
      await writer.query(`INSERT INTO ${table} (seq) SELECT unnest($1::bigint[])`, [rows]);
      await writer.query(`PREPARE TRANSACTION '${gid}'`);
    } finally {
      // Gone like a crashed writer: the prepared transaction outlives its session.
      await writer.end();
    }
  }

  it("COMMIT PREPARED from a second connection makes the rows visible", async () => {
    const gid = `berth-smoke-${run}-commit`;
    await prepare(gid, [1, 2, 3]);
    expect(await count(observer)).toBe(0);
    const pending = await observer.query("SELECT gid FROM pg_prepared_xacts WHERE gid = $1", [gid]);
    expect(pending.rowCount).toBe(1);

    await observer.query(`COMMIT PREPARED '${gid}'`);
    expect(await count(observer)).toBe(3);
    expect((await observer.query("SELECT 1 FROM pg_prepared_xacts WHERE gid = $1", [gid])).rowCount).toBe(0);
  });

  it("ROLLBACK PREPARED from a second connection discards them", async () => {
    const gid = `berth-smoke-${run}-rollback`;
    await prepare(gid, [10, 11]);
    await observer.query(`ROLLBACK PREPARED '${gid}'`);
    expect(
      Number((await observer.query(`SELECT count(*) AS n FROM ${table} WHERE seq >= 10`)).rows[0].n),
    ).toBe(0);
    // Committing it again is an error a committer must recognise as 'not there any more'.
    await expect(observer.query(`COMMIT PREPARED '${gid}'`)).rejects.toMatchObject({ code: "42704" });
  });
});
