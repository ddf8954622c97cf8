/**
 * Commit-marker retention against the machine's server (ADR 0015): a start prunes the prefix's
 * markers older than `markerRetentionMs` and no others (younger ones, another prefix's); a commit
 * that then finds neither its gid nor its marker says the point is older than the retention and
 * points to --skip-failed-committables, while a transaction lost within the retention is still
 * reported lost; a running job prunes too, and a savepoint whose commits' markers it pruned fails
 * its restore with that error, and restores with the flag. Verdicts read the marker table,
 * `pg_prepared_xacts` and the table with plain SQL on a client of the test's own.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CommitFailedPermanentlyError,
  createLogger,
  Job,
  type JobOptions,
  Pipeline,
  sequenceSource,
} from "@berth/core";
import { loadRestorePoint } from "@berth/core/connector";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { COMMIT_MARKER_PRUNED, PREPARED_TRANSACTION_LOST, STAGED_ROWS_LOST } from "./errors.js";
import { postgresSink } from "./postgres-sink.js";
import {
  committedSeqs,
  dropCreatedTables,
  dropTable,
  PG_URL,
  preparedStartingWith,
  sinkHarness,
  uniqueTable,
  withClient,
} from "./test-support.js";

const RETENTION_MS = 1_000;
const MARKERS = "berth_commit_markers";

/** Gids of the prefix's markers (exact prefix column, no pattern). */
const markersOf = (prefix: string) =>
  withClient(async (c) => {
    const { rows } = await c.query<{ gid: string }>(
      `SELECT gid FROM ${MARKERS} WHERE sink_prefix = $1 ORDER BY gid`,
      [prefix],
    );
    return rows.map((r) => r.gid);
  });

/** Waits (bounded) until the server's clock is past `RETENTION_MS` after every marker of the prefix. */
async function untilMarkersAged(prefix: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const aged = await withClient(async (c) => {
      const { rows } = await c.query(
        `SELECT coalesce(max(written_at) < now() - $2::bigint * interval '1 millisecond', false) AS aged FROM ${MARKERS} WHERE sink_prefix = $1`,
        [prefix, RETENTION_MS],
      );
      return rows[0].aged as boolean;
    });
    if (aged) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the markers of ${prefix} never got older than ${RETENTION_MS} ms`);
}

/** The gids of the committables a restore point holds. */
const gidsIn = async (point: string) =>
  (await loadRestorePoint(point)).metadata.sinks.flatMap((s) =>
    s.committables.map((c) => (c.committable as { gid: string }).gid),
  );

const forgetPrefixes = (prefixes: string[]) =>
  withClient(async (c) => {
    await c.query(`DELETE FROM ${MARKERS} WHERE sink_prefix = ANY($1)`, [prefixes]);
    await c.query(`DELETE FROM ${MARKERS}_pruned WHERE sink_prefix = ANY($1)`, [prefixes]);
  });

afterAll(dropCreatedTables);

describe.concurrent.each(["prepared", "idempotent"] as const)(
  "postgres sink, marker retention, %s",
  (protocol) => {
    it("a start prunes only the prefix's markers past the retention; a commit of one then says the point is too old, a lost one stays lost", async () => {
      const table = uniqueTable("retain");
      const stage = `${table}_stage`;
      await withClient((c) => c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint NOT NULL)`));
      const h = await sinkHarness<{ seq: number }>({
        table,
        columns: { seq: "seq" },
        protocol,
        stagingTable: stage,
        markerTable: MARKERS,
        markerRetentionMs: RETENTION_MS,
      });
      const other = `${h.prefix}-b`;
      try {
        const [old] = await h.prepare([{ seq: 1 }, { seq: 2 }]);
        if (!old) throw new Error("nothing prepared");
        expect((await h.commit(old)).kind).toBe("committed");
        expect(await markersOf(h.prefix)).toEqual([old.gid]);
        await untilMarkersAged(h.prefix);
        // Written now: one of the prefix (young), one of a longer prefix (a day old).
        await withClient(async (c) => {
          await c.query(`INSERT INTO ${MARKERS} (gid, sink_prefix) VALUES ($1, $2)`, [
            `${h.prefix}-0-young-1`,
            h.prefix,
          ]);
          await c.query(
            `INSERT INTO ${MARKERS} (gid, sink_prefix, written_at) VALUES ($1, $2, now() - interval '1 day')`,
            [`${other}-0-old-1`, other],
          );
        });

        await h.restart();
        expect(await markersOf(h.prefix)).toEqual([`${h.prefix}-0-young-1`]);
        expect(await markersOf(other)).toEqual([`${other}-0-old-1`]);
        const outcome = await h.commit(old);
        expect(outcome).toMatchObject({
          kind: "failedKnown",
          code: COMMIT_MARKER_PRUNED,
          reason: expect.stringContaining(
            `${old.gid} (begun ${new Date(old.preparedAt as number).toISOString()}) is older than the commit-marker retention`,
          ),
        });
        expect((outcome as { reason: string }).reason).toContain("--skip-failed-committables");
        expect(await committedSeqs(table)).toEqual([1, 2]);

        // Begun after the horizon and then removed by hand: lost, not "too old".
        const [lost] = await h.prepare([{ seq: 3 }]);
        if (!lost) throw new Error("nothing prepared");
        await withClient((c) =>
          protocol === "prepared"
            ? c.query(`ROLLBACK PREPARED '${lost.gid}'`)
            : c.query(`DELETE FROM ${pg.escapeIdentifier(stage)} WHERE berth_txn = $1`, [lost.gid]),
        );
        expect(await h.commit(lost)).toMatchObject({
          kind: "failedKnown",
          code: protocol === "prepared" ? PREPARED_TRANSACTION_LOST : STAGED_ROWS_LOST,
        });
        expect(await committedSeqs(table)).toEqual([1, 2]);
      } finally {
        await h.close();
        await forgetPrefixes([h.prefix, other]);
        await dropTable(table);
        await dropTable(stage);
      }
    });
  },
);

describe("postgres sink, marker retention of a running job", () => {
  it("prunes while it runs; a savepoint whose commits' markers are gone fails its restore naming the reason and the flag, and restores with --skip-failed-committables", async () => {
    const table = uniqueTable("retain_job");
    const prefix = table.replaceAll("_", "-");
    await withClient((c) => c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint NOT NULL)`));
    const checkpointDirectory = await mkdtemp(join(tmpdir(), "berth-postgres-retention-"));
    const job = (restore?: JobOptions["restore"]) => {
      const pipeline = Pipeline.create({ name: "postgres-retention" });
      pipeline
        .source(sequenceSource({ ratePerSecond: 1000, batchSize: 20 }), { uid: "sequence" })
        .map((seq) => ({ seq }), { uid: "to-record" })
        .sinkTo(
          postgresSink<{ seq: number }>({
            connectionString: PG_URL,
            table,
            columns: { seq: "seq" },
            markerRetentionMs: RETENTION_MS,
          }),
          { uid: "postgres", parallelism: 2, sinkPrefix: prefix },
        );
      return new Job(pipeline, {
        jobId: prefix,
        checkpointDirectory,
        checkpointIntervalMs: 100,
        restartStrategy: { attempts: 0, delayMs: 0 },
        logger: createLogger(process.env.BERTH_TEST_LOG_LEVEL ?? "silent"),
        ...(restore ? { restore } : {}),
      });
    };
    const untilRunning = (j: Job) => new Promise((resolve) => j.once("running", resolve));
    /** Runs the job until it runs, stops it with a savepoint; that savepoint once it ended FINISHED. */
    const runAndStop = async (j: Job): Promise<string> => {
      const running = untilRunning(j);
      const run = j.run();
      await running;
      const stopped = await j.stop({
        drain: false,
        targetDirectory: join(checkpointDirectory, "savepoints"),
      });
      const result = await run;
      expect(result.error?.message).toBeUndefined();
      expect(result.state).toBe("FINISHED");
      return stopped;
    };
    try {
      const first = job();
      const running = untilRunning(first);
      const firstRun = first.run();
      await running;
      const savepoint = await first.savepoint(join(checkpointDirectory, "savepoints"));
      const held = await gidsIn(savepoint);
      expect(held.length).toBeGreaterThan(0);
      // The savepoint's transactions commit with the next checkpoint; the running job prunes their markers once they are old.
      let pruned = false;
      for (let i = 0; i < 300 && !pruned; i++) {
        const prepared = await preparedStartingWith(prefix);
        const markers = await markersOf(prefix);
        pruned = held.every((gid) => !prepared.includes(gid) && !markers.includes(gid));
        if (!pruned) await new Promise((r) => setTimeout(r, 100));
      }
      expect(pruned).toBe(true);
      expect(first.state).toBe("RUNNING");
      await first.stop({ drain: false, targetDirectory: join(checkpointDirectory, "savepoints") });
      expect((await firstRun).state).toBe("FINISHED");
      const committed = await committedSeqs(table);
      expect(committed).toEqual(Array.from({ length: committed.length }, (_, i) => i));

      const tooOld = await job({ path: savepoint }).run();
      expect(tooOld.state).toBe("FAILED");
      expect(tooOld.error).toBeInstanceOf(CommitFailedPermanentlyError);
      expect(tooOld.error).toMatchObject({
        code: "COMMIT_FAILED_PERMANENTLY",
        reasonCode: COMMIT_MARKER_PRUNED,
      });
      expect(tooOld.error?.message).toMatch(/^committable \S+ \(checkpoint \d+, subtask \d+/);
      expect(tooOld.error?.message).toContain("is older than the commit-marker retention");
      expect(tooOld.error?.message).toContain("--skip-failed-committables");
      expect(await committedSeqs(table)).toEqual(committed);

      const stopped = await runAndStop(job({ path: savepoint, skipFailedCommittables: true }));
      expect(await preparedStartingWith(prefix)).toEqual([]);

      // A stop's savepoint records its commits as confirmed: once a later start pruned their
      // markers, it still restores (it commits nothing).
      const confirmed = await gidsIn(stopped);
      expect(confirmed.length).toBeGreaterThan(0);
      await untilMarkersAged(prefix);
      await runAndStop(job({ path: stopped }));
      const left = await markersOf(prefix);
      expect(confirmed.filter((gid) => left.includes(gid))).toEqual([]);
      await runAndStop(job({ path: stopped }));
    } finally {
      await forgetPrefixes([prefix]);
      await dropTable(table);
    }
  });
});
