/**
 * The core's sink names against a real PostgreSQL: the LIKE pattern of a prefix lists the
 * prepared transactions (gids) of that prefix and no other, once each row is parsed.
 */
import { randomBytes } from "node:crypto";
import { newAttemptId, SinkNames } from "@berth/core/connector";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/berth";
const tag = `t${randomBytes(3).toString("hex")}`;
const attemptId = newAttemptId();
// Each prefix is one an unescaped pattern would confuse with another.
const prefixes = ["a_b", "aXb", "a%b", "aYYb", "a\\b", "a", "a-b"].map((p) => `${tag}${p}`);
const gids = prefixes.map((p) => new SinkNames(p).attempt({ subtask: 0, attemptId, checkpointId: 1 }));

describe("sink names in PostgreSQL", () => {
  const client = new pg.Client({ connectionString: PG_URL });

  beforeAll(async () => {
    await client.connect();
    for (const gid of gids) {
      await client.query("BEGIN");
      await client.query(`PREPARE TRANSACTION '${gid.replaceAll("'", "''")}'`);
    }
  });

  afterAll(async () => {
    for (const gid of gids)
      await client.query(`ROLLBACK PREPARED '${gid.replaceAll("'", "''")}'`).catch(() => undefined);
    await client.end();
  });

  async function listed(prefix: string): Promise<string[]> {
    const names = new SinkNames(prefix);
    const rows = await client.query<{ gid: string }>(
      "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE $1 ORDER BY gid",
      [names.likePattern()],
    );
    return rows.rows.map((r) => r.gid);
  }

  it("LIKE on an escaped prefix matches its own names only: a_b never matches aXb…, a%b never aYYb…", async () => {
    expect(await listed(`${tag}a_b`)).toEqual([gids[0]]);
    expect(await listed(`${tag}a%b`)).toEqual([gids[2]]);
    expect(await listed(`${tag}a\\b`)).toEqual([gids[4]]);
  });

  it("LIKE narrows, the parser decides: prefix a lists a-b's gid, and parsing drops it", async () => {
    const a = new SinkNames(`${tag}a`);
    const narrowed = await listed(`${tag}a`);
    expect(narrowed).toEqual([gids[5], gids[6]].sort());
    expect(narrowed.filter((gid) => a.parseAttempt(gid) !== undefined)).toEqual([gids[5]]);
    const ab = new SinkNames(`${tag}a-b`);
    expect((await listed(`${tag}a-b`)).filter((gid) => ab.parseAttempt(gid) !== undefined)).toEqual([
      gids[6],
    ]);
  });
});
