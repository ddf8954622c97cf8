/**
 * The PostgreSQL sink under the conformance kit: each target is a fresh table with a
 * `seq bigint` column; what is committed is what `SELECT seq` on a session of the test's own
 * sees; what lingers is every prepared transaction whose gid starts with the prefix, and (for
 * the idempotent protocol) every transaction name with rows in the staging table that starts
 * with it — plain string tests, never the sink's code. The target-restart case restarts a
 * private PostgreSQL server of its own (the testkit's `PrivatePostgres`).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { defineSinkConformance, type SinkConformanceFactory } from "@berth/testkit/factory";
import pg from "pg";
import type { PostgresCommittable } from "./postgres-committable.js";
import { postgresSink } from "./postgres-sink.js";
import {
  committedSeqs,
  dropTable,
  PG_URL,
  preparedStartingWith,
  uniqueTable,
  withClient,
} from "./test-support.js";

export interface PostgresTarget {
  readonly url: string;
  readonly table: string;
}

const staging = (target: PostgresTarget) => `${target.table.slice(0, 55)}_stage`;

async function newTarget(url: string, id: string): Promise<PostgresTarget> {
  const table = uniqueTable(`conf_${id}`);
  await withClient(
    (client) => client.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint NOT NULL)`),
    url,
  );
  return { url, table };
}

function factory(
  protocol: "prepared" | "idempotent",
): SinkConformanceFactory<PostgresTarget, PostgresCommittable> {
  return defineSinkConformance<PostgresTarget, PostgresCommittable>({
    createTarget: ({ id }) => newTarget(PG_URL, id),
    createSink: (target) =>
      postgresSink<{ seq: number }>({
        connectionString: target.url,
        table: target.table,
        columns: { seq: "seq" },
        protocol,
        stagingTable: staging(target),
      }),
    readCommitted: (target) => committedSeqs(target.table, target.url),
    async lingeringTransactions(target, sinkPrefix) {
      const prepared = await preparedStartingWith(sinkPrefix, target.url);
      const staged = await withClient(async (client) => {
        const exists = await client.query("SELECT to_regclass($1) AS t", [
          pg.escapeIdentifier(staging(target)),
        ]);
        if (exists.rows[0].t === null) return [];
        const { rows } = await client.query<{ name: string }>(
          `SELECT DISTINCT berth_txn AS name FROM ${pg.escapeIdentifier(staging(target))} WHERE left(berth_txn, length($1)) = $1`,
          [sinkPrefix],
        );
        return rows.map((r) => r.name);
      }, target.url);
      return [...prepared, ...staged];
    },
    async startPrivateTarget(context) {
      const { PrivatePostgres, freePort, servicesDir } = await import("@berth/testkit/services");
      const server = new PrivatePostgres({
        dir: join(servicesDir(), "postgres-private", `${context.id}-${randomBytes(3).toString("hex")}`),
        port: await freePort(),
        settings: { max_prepared_transactions: 16 },
      });
      try {
        await server.start();
        const target = await newTarget(server.endpoint, context.id);
        return {
          target,
          async restart() {
            await server.stop();
            await server.start();
          },
          stop: async () => void (await server.stop({ wipe: true })),
        };
      } catch (error) {
        await server.stop({ wipe: true });
        throw error;
      }
    },
    async dropTarget(target) {
      await dropTable(target.table, target.url);
      await dropTable(staging(target), target.url);
    },
  });
}

export default factory("prepared");

/** The idempotent protocol: staged rows committed at the checkpoint, applied with a commit-log row. */
export const idempotent = factory("idempotent");
