/**
 * A sequence source into the exactly-once PostgreSQL sink: `berth run examples/sequence-to-postgres.ts`.
 * Every record is a row of PG_TABLE (default `berth_sequence`, created with one `seq bigint`
 * column when missing); `SELECT seq FROM berth_sequence` shows exactly-once.
 * Environment (DESIGN.md, "The sequence examples"): SEQ_COUNT, SEQ_RATE, SEQ_PARALLELISM,
 * PG_URL (default postgres://postgres@127.0.0.1:5432/berth), PG_TABLE.
 */
import { definePipeline, Pipeline, sequenceSource } from "@berth/core";
import { postgresSink } from "@berth/sink-postgres";
import { sequenceSettings } from "./sequence-env.js";
import { postgresUrl } from "./targets-env.js";

export default definePipeline(() => {
  const { count, ratePerSecond, parallelism } = sequenceSettings();
  const connectionString = postgresUrl();
  const table = process.env.PG_TABLE || "berth_sequence";
  const pipeline = Pipeline.create({ name: "sequence-to-postgres" });
  pipeline
    .source(sequenceSource({ ...(count !== undefined ? { count } : {}), ratePerSecond }), {
      uid: "sequence",
      parallelism,
    })
    .map((seq) => ({ seq }), { uid: "to-record", parallelism })
    .sinkTo(
      postgresSink<{ seq: number }>({
        connectionString,
        table,
        columns: { seq: "seq" },
        createTable: { seq: "bigint NOT NULL" },
      }),
      { uid: "postgres", parallelism },
    );
  return pipeline;
});
