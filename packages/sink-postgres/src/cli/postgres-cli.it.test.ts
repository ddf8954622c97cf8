/**
 * `berth postgres transactions list|rollback|commit` against real prepared transactions: a
 * savepoint's pending transactions (its job canceled), hand-prepared ones of the prefix and of
 * a longer prefix that starts with it, and a live job holding the prefix. Verdicts read
 * `pg_prepared_xacts` and the table with a client of the test's own.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, Job, Pipeline, sequenceSource } from "@berth/core";
import { newAttemptId, SinkNames } from "@berth/core/connector";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { postgresSink } from "../postgres-sink.js";
import {
  committedSeqs,
  dropCreatedTables,
  PG_URL,
  preparedStartingWith,
  uniqueTable,
  withClient,
} from "../test-support.js";
import { runPostgresCli } from "./postgres-cli.js";

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPostgresCli(["transactions", ...args, "--url", PG_URL], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

async function job(table: string, prefix: string, rate: number): Promise<Job> {
  const pipeline = Pipeline.create({ name: "postgres-cli-it" });
  pipeline
    .source(sequenceSource({ ratePerSecond: rate, batchSize: 50 }), { uid: "sequence" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(postgresSink<{ seq: number }>({ connectionString: PG_URL, table, columns: { seq: "seq" } }), {
      uid: "postgres",
      sinkPrefix: prefix,
    });
  return new Job(pipeline, {
    jobId: prefix,
    checkpointDirectory: await mkdtemp(join(tmpdir(), "berth-postgres-cli-")),
    checkpointIntervalMs: 600_000,
    logger: createLogger("silent"),
  });
}

const prepareByHand = (gids: string[]) =>
  withClient(async (c) => {
    for (const gid of gids) {
      await c.query("BEGIN");
      await c.query(`PREPARE TRANSACTION '${gid}'`);
    }
  });

afterAll(dropCreatedTables);

describe("berth postgres transactions", () => {
  it("lists, commits (checked against a restore point, or forced) and rolls back the prefix's prepared transactions, never a longer prefix's", async () => {
    const table = uniqueTable("cli");
    const prefix = table.replaceAll("_", "-");
    await withClient((c) => c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint NOT NULL)`));
    // A savepoint whose pre-committed transaction is pending: its job is canceled before any commit.
    const first = await job(table, prefix, 5_000);
    const run = first.run();
    // Savepoints until one pre-committed a transaction (a savepoint before the first record has none).
    let savepoint = "";
    for (let i = 0; i < 50 && (await preparedStartingWith(prefix)).length === 0; i++) {
      savepoint = await first.savepoint(await mkdtemp(join(tmpdir(), "berth-postgres-cli-sp-")));
    }
    await first.cancel();
    await run;
    const pending = await preparedStartingWith(prefix);
    expect(pending.length).toBeGreaterThan(0);
    const byHand = new SinkNames(prefix).attempt({ subtask: 0, attemptId: newAttemptId(), checkpointId: 99 });
    const longer = new SinkNames(`${prefix}-b`).attempt({
      subtask: 0,
      attemptId: newAttemptId(),
      checkpointId: 1,
    });
    await prepareByHand([byHand, longer]);
    try {
      const listed = await cli(["list", "--prefix", prefix, "--json"]);
      expect(listed.code).toBe(0);
      const gids = (
        JSON.parse(listed.out[0] as string) as { transactions: { gid: string }[] }
      ).transactions.map((t) => t.gid);
      expect(gids).toEqual([...pending, byHand].sort());

      const usage = await cli(["commit", "--prefix", prefix, byHand]);
      expect(usage.code).toBe(2);
      expect(usage.err).toEqual([
        "berth: commit needs --restore-point PATH (to check each gid's checkpoint completed) or --force; see berth postgres --help",
      ]);
      const [inSavepoint] = pending;
      const refused = await cli(["commit", "--prefix", prefix, "--restore-point", savepoint, byHand]);
      expect(refused.code).toBe(1);
      expect(refused.out.join("\n")).toContain(`${byHand}: refused: the restore point does not hold it`);
      const committed = await cli([
        "commit",
        "--prefix",
        prefix,
        "--restore-point",
        savepoint,
        inSavepoint as string,
      ]);
      expect(committed.code).toBe(0);
      expect(committed.out.join("\n")).toContain(`${inSavepoint}: committed (checkpoint completed)`);
      expect((await committedSeqs(table)).length).toBeGreaterThan(0);
      expect((await cli(["commit", "--prefix", prefix, "--force", byHand])).code).toBe(0);

      const dry = await cli(["rollback", "--prefix", prefix, "--dry-run", "--json"]);
      const wouldRollBack = (JSON.parse(dry.out[0] as string) as { rolledBack: string[] }).rolledBack;
      expect(wouldRollBack).toEqual(pending.slice(1));
      expect(await preparedStartingWith(prefix)).toEqual([...pending.slice(1), longer].sort());
      expect((await cli(["rollback", "--prefix", prefix])).code).toBe(0);
      // Only the longer prefix's transaction is left.
      expect(await preparedStartingWith(prefix)).toEqual([longer]);
    } finally {
      await withClient((c) => c.query(`ROLLBACK PREPARED '${longer}'`).catch(() => undefined));
    }
  });

  it("refuses while a live job holds the prefix", async () => {
    const table = uniqueTable("cli_held");
    const prefix = table.replaceAll("_", "-");
    await withClient((c) => c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint NOT NULL)`));
    const live = await job(table, prefix, 100);
    const running = new Promise((resolve) => live.once("running", resolve));
    const run = live.run();
    await running;
    try {
      for (const command of ["list", "rollback"]) {
        const refused = await cli([command, "--prefix", prefix]);
        expect(refused.code).toBe(1);
        expect(refused.err[0]).toContain(`berth: sink prefix ${prefix} is in use: another live job`);
      }
    } finally {
      await live.cancel();
      await run;
    }
    expect((await cli(["list", "--prefix", prefix])).code).toBe(0);
  });
});
