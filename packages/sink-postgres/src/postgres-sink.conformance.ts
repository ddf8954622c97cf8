/**
 * The PostgreSQL sink (prepared mode, append) under the conformance kit: each target is a fresh
 * table with a `seq bigint` column; what is committed is what `SELECT seq` on a session of the
 * test's own sees; what lingers is every prepared transaction whose gid starts with the prefix.
 */
import { defineSinkConformance } from "@berth/testkit/factory";
import pg from "pg";
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

export default defineSinkConformance<PostgresTarget>({
  async createTarget({ id }) {
    const table = uniqueTable(`conf_${id}`);
    await withClient((client) =>
      client.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (seq bigint NOT NULL)`),
    );
    return { url: PG_URL, table };
  },
  createSink: (target) =>
    postgresSink<{ seq: number }>({
      connectionString: target.url,
      table: target.table,
      columns: { seq: "seq" },
    }),
  readCommitted: (target) => committedSeqs(target.table, target.url),
  lingeringTransactions: (target, sinkPrefix) => preparedStartingWith(sinkPrefix, target.url),
  dropTarget: (target) => dropTable(target.table, target.url),
});
