/**
 * Upsert mode and rejected rows against the machine's server, read back with plain SQL on a
 * client of the test's own: the last record of a key within one checkpoint wins (one key twice,
 * a delete after an upsert, an upsert after a delete), across checkpoints a key is updated in
 * place, the staging table is left empty; a row that violates a constraint fails the job naming
 * the record and the constraint, and what committed before it stays; the idempotent protocol
 * commits a transaction once by its commit-log row and knows when its staged rows are gone.
 */
import { CommitOutcomes } from "@berth/core/connector";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresError, STAGED_ROWS_LOST } from "./errors.js";
import type { PostgresCommittable } from "./postgres-committable.js";
import { postgresSink } from "./postgres-sink.js";
import type { PostgresSinkOptions } from "./postgres-sink-options.js";
import {
  dropCreatedTables,
  PG_URL,
  preparedStartingWith,
  sinkHarness,
  uniqueTable,
  withClient,
} from "./test-support.js";

type Account = { id: number; balance: number | null; deleted?: boolean };

const harness = (options: Omit<PostgresSinkOptions<Account>, "connectionString">) =>
  sinkHarness<Account>(options);

async function accounts(table: string): Promise<Array<{ id: number; balance: number | null }>> {
  return withClient(async (c) => {
    const { rows } = await c.query(`SELECT id, balance FROM ${pg.escapeIdentifier(table)} ORDER BY id`);
    return rows.map((r) => ({ id: Number(r.id), balance: r.balance === null ? null : Number(r.balance) }));
  });
}

afterAll(dropCreatedTables);

describe.concurrent.each(["prepared", "idempotent"] as const)("postgres sink, upsert, %s", (protocol) => {
  it("within one checkpoint the last record of a key wins: a key twice, a delete after an upsert, an upsert after a delete", async () => {
    const table = uniqueTable("upsert");
    await withClient((c) =>
      c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (id bigint PRIMARY KEY, balance bigint NOT NULL)`),
    );
    const h = await harness({
      table,
      columns: { id: "id", balance: "balance" },
      mode: "upsert",
      conflictKey: ["id"],
      isDelete: (a) => a.deleted === true,
      stagingTable: `${table}_stage`,
      protocol,
    });
    try {
      await h.checkpoint([
        { id: 1, balance: 10 },
        { id: 2, balance: 20 },
        { id: 3, balance: 30 },
      ]);
      expect(await accounts(table)).toEqual([
        { id: 1, balance: 10 },
        { id: 2, balance: 20 },
        { id: 3, balance: 30 },
      ]);
      await h.checkpoint([
        { id: 1, balance: 11 },
        { id: 1, balance: 12 }, // one key twice: the last wins
        { id: 2, balance: 21 },
        { id: 2, balance: null, deleted: true }, // a delete after an upsert deletes it
        { id: 3, balance: null, deleted: true },
        { id: 3, balance: 33 }, // an upsert after a delete keeps it
        { id: 4, balance: null, deleted: true }, // a delete of a key that never existed
        { id: 5, balance: 50 },
      ]);
      expect(await accounts(table)).toEqual([
        { id: 1, balance: 12 },
        { id: 3, balance: 33 },
        { id: 5, balance: 50 },
      ]);
      // The staging table is a regular table, and empty once a checkpoint committed.
      const staging = await withClient(async (c) => ({
        kind: (await c.query("SELECT relpersistence FROM pg_class WHERE relname = $1", [`${table}_stage`]))
          .rows[0],
        rows: Number(
          (await c.query(`SELECT count(*) AS n FROM ${pg.escapeIdentifier(`${table}_stage`)}`)).rows[0].n,
        ),
      }));
      expect(staging).toEqual({ kind: { relpersistence: "p" }, rows: 0 });
      expect(await preparedStartingWith(h.prefix)).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it.runIf(protocol === "prepared")(
    "a row that violates a constraint fails with the record and the constraint named; earlier commits stay, nothing of its checkpoint is applied",
    async () => {
      const table = uniqueTable("reject");
      await withClient((c) =>
        c.query(
          `CREATE TABLE ${pg.escapeIdentifier(table)} (id bigint PRIMARY KEY, balance bigint CONSTRAINT balance_not_negative CHECK (balance >= 0))`,
        ),
      );
      const h = await harness({ table, columns: { id: "id", balance: "balance" }, protocol });
      try {
        await h.checkpoint([{ id: 1, balance: 10 }]);
        const failed = await h
          .checkpoint([
            { id: 2, balance: 20 },
            { id: 3, balance: -5 },
            { id: 4, balance: 40 },
          ])
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        expect(failed).toBeInstanceOf(PostgresError);
        expect((failed as PostgresError).code).toBe("POSTGRES_ROW_REJECTED");
        expect((failed as Error).message).toContain('record {"id":3,"balance":-5}');
        expect((failed as Error).message).toContain('constraint "balance_not_negative"');
        expect(await accounts(table)).toEqual([{ id: 1, balance: 10 }]);
        expect(await preparedStartingWith(h.prefix)).toEqual([]);
      } finally {
        await h.close();
      }
    },
  );

  it("quotes every table and column name: a table and columns with quotes, spaces, a semicolon, upper case and a reserved word", async () => {
    const base = uniqueTable("quoted");
    const table = `${base} "Odd"; DROP`;
    const q = pg.escapeIdentifier(table);
    await withClient((c) =>
      c.query(`CREATE TABLE ${q} ("Order" bigint PRIMARY KEY, "two words" text, "semi;colon""q" bigint)`),
    );
    type Odd = { order: number; words: string; n: number; gone?: boolean };
    const h = await sinkHarness<Odd>({
      table,
      columns: ["Order", "two words", 'semi;colon"q'],
      row: (r) => [r.order, r.words, r.n],
      mode: "upsert",
      conflictKey: ["Order"],
      isDelete: (r) => r.gone === true,
      stagingTable: `${base}_stage`,
      protocol,
    });
    try {
      await h.checkpoint([
        { order: 1, words: "a", n: 1 },
        { order: 2, words: "b", n: 2 },
        { order: 1, words: "c", n: 3 },
        { order: 2, words: "", n: 0, gone: true },
      ]);
      const { rows } = await withClient((c) =>
        c.query(`SELECT "Order", "two words", "semi;colon""q" FROM ${q} ORDER BY "Order"`),
      );
      expect(rows).toEqual([{ Order: "1", "two words": "c", 'semi;colon"q': "3" }]);
    } finally {
      await h.close();
      await withClient((c) => c.query(`DROP TABLE IF EXISTS ${q}`));
    }
  });

  it("a value that does not fit its column fails naming the record and the column; nothing of its checkpoint is applied", async () => {
    const table = uniqueTable("fit");
    await withClient((c) =>
      c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (id bigint PRIMARY KEY, code varchar(3))`),
    );
    type Coded = { id: number; code: string };
    const h = await sinkHarness<Coded>({
      table,
      columns: { id: "id", code: "code" },
      protocol,
      stagingTable: `${table}_stage`,
    });
    try {
      await h.checkpoint([{ id: 1, code: "ok" }]);
      const failed = await (async () => {
        for (const c of await h.prepare([
          { id: 2, code: "abc" },
          { id: 3, code: "toolong" },
        ])) {
          const outcome = await h.commit(c);
          if (outcome.kind !== "committed") return outcome;
        }
      })().catch((error: unknown) => error);
      // COPY refuses it in the writer's transaction (the staging table has the column's type too).
      expect(failed).toMatchObject({ code: "POSTGRES_ROW_REJECTED" });
      expect((failed as Error).message).toContain('record {"id":3,"code":"toolong"}');
      expect((failed as Error).message).toContain("column code");
      expect((failed as Error).message).toContain("value too long for type character varying(3)");
      const { rows } = await withClient((c) => c.query(`SELECT id, code FROM ${pg.escapeIdentifier(table)}`));
      expect(rows).toEqual([{ id: "1", code: "ok" }]);
    } finally {
      await h.close();
    }
  });

  it.runIf(protocol === "prepared")(
    "refuses upsert without a conflict key, and a conflict key that is not a mapped column",
    () => {
      expect(() =>
        postgresSink<Account>({
          connectionString: PG_URL,
          table: "t",
          columns: { id: "id" },
          mode: "upsert",
        }),
      ).toThrow(/needs `conflictKey`/);
      expect(() =>
        postgresSink<Account>({
          connectionString: PG_URL,
          table: "t",
          columns: { id: "id" },
          mode: "upsert",
          conflictKey: ["balance"],
        }),
      ).toThrow(/conflictKey column "balance" is not one of the mapped columns/);
    },
  );
});

describe("postgres sink, idempotent protocol", () => {
  it("a row that violates a constraint fails its commit naming the constraint; the commit rolls back whole and its staged rows stay for a restore once fixed", async () => {
    const table = uniqueTable("idem_reject");
    const stage = `${table}_stage`;
    await withClient((c) =>
      c.query(
        `CREATE TABLE ${pg.escapeIdentifier(table)} (id bigint PRIMARY KEY, balance bigint CONSTRAINT balance_not_negative CHECK (balance >= 0))`,
      ),
    );
    const h = await harness({
      table,
      columns: { id: "id", balance: "balance" },
      protocol: "idempotent",
      stagingTable: stage,
    });
    try {
      await h.checkpoint([{ id: 1, balance: 10 }]);
      const [bad] = await h.prepare([
        { id: 2, balance: 20 },
        { id: 3, balance: -5 },
      ]);
      expect(await h.commit(bad as PostgresCommittable)).toMatchObject({
        kind: "failedUnknown",
        reason: expect.stringContaining('violates check constraint "balance_not_negative"'),
      });
      expect(await accounts(table)).toEqual([{ id: 1, balance: 10 }]);
      // No commit-log row was left: fixed, the same committable commits.
      await withClient((c) =>
        c.query(`ALTER TABLE ${pg.escapeIdentifier(table)} DROP CONSTRAINT balance_not_negative`),
      );
      expect(await h.commit(bad as PostgresCommittable)).toEqual(CommitOutcomes.committed);
      expect(await accounts(table)).toEqual([
        { id: 1, balance: 10 },
        { id: 2, balance: 20 },
        { id: 3, balance: -5 },
      ]);
    } finally {
      await h.close();
    }
  });

  it("a commit inserts the commit-log row once: again is alreadyCommitted; no staged rows and no log row is a known failure naming the rows lost", async () => {
    const table = uniqueTable("idem");
    const stage = `${table}_stage`;
    await withClient((c) =>
      c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (id bigint, balance bigint)`),
    );
    const h = await harness({
      table,
      columns: { id: "id", balance: "balance" },
      protocol: "idempotent",
      stagingTable: stage,
    });
    try {
      const [first] = await h.prepare([
        { id: 1, balance: 1 },
        { id: 2, balance: 2 },
      ]);
      // Pre-committed: durable in the staging table, invisible in the table, no prepared transaction.
      expect(await accounts(table)).toEqual([]);
      expect(await preparedStartingWith(h.prefix)).toEqual([]);
      const staged = await withClient((c) =>
        c.query(`SELECT count(*) AS n FROM ${pg.escapeIdentifier(stage)}`),
      );
      expect(Number(staged.rows[0].n)).toBe(2);
      expect(await h.commit(first as PostgresCommittable)).toEqual(CommitOutcomes.committed);
      expect(await h.commit(first as PostgresCommittable)).toEqual(CommitOutcomes.alreadyCommitted);
      expect(await accounts(table)).toEqual([
        { id: 1, balance: 1 },
        { id: 2, balance: 2 },
      ]);

      const [lost] = (await h.prepare([{ id: 3, balance: 3 }])) as PostgresCommittable[];
      await withClient((c) => c.query(`DELETE FROM ${pg.escapeIdentifier(stage)}`));
      expect(await h.commit(lost as PostgresCommittable)).toMatchObject({
        kind: "failedKnown",
        code: STAGED_ROWS_LOST,
        reason: expect.stringContaining(`its 1 record(s) for ${table} are lost`),
      });
      // The refused commit left no commit-log row: it is refused again, never "already committed".
      expect((await h.commit(lost as PostgresCommittable)).kind).toBe("failedKnown");
      expect(await accounts(table)).toEqual([
        { id: 1, balance: 1 },
        { id: 2, balance: 2 },
      ]);
    } finally {
      await h.close();
    }
  });
});
