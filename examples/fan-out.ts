/**
 * One stream into Kafka, PostgreSQL and S3 at once: `berth run examples/fan-out.ts`. A sequence
 * source's `{"seq": n}` records go to KAFKA_TOPIC (default `berth-fan-out`), to PG_TABLE
 * (default `berth_fan_out`, a `seq bigint` column) and to S3_BUCKET (default `berth-fan-out`)
 * under S3_PREFIX (default `fan-out`) — each created when missing. Every checkpoint covers the
 * three sinks, and a stop returns only once all three have committed; but each target makes
 * its part visible by its own commit, so there is no moment at which the three are updated
 * atomically together (examples/README.md). Environment as the sequence examples: SEQ_COUNT,
 * SEQ_RATE, SEQ_PARALLELISM, KAFKA_BROKERS, PG_URL, S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID,
 * S3_SECRET_ACCESS_KEY.
 */
import { definePipeline, Pipeline, sequenceSource } from "@berth/core";
import { ensureTopic, kafkaSink } from "@berth/sink-kafka";
import { postgresSink } from "@berth/sink-postgres";
import { ensureBucket, s3Sink } from "@berth/sink-s3";
import { sequenceSettings } from "./sequence-env.js";
import { kafkaBrokers, postgresUrl, s3Client } from "./targets-env.js";

export default definePipeline(async () => {
  const { count, ratePerSecond, parallelism } = sequenceSettings();
  const brokers = kafkaBrokers();
  const topic = process.env.KAFKA_TOPIC || "berth-fan-out";
  const bucket = process.env.S3_BUCKET || "berth-fan-out";
  const client = s3Client();
  await ensureTopic({ brokers, topic, partitions: Math.max(3, parallelism) });
  await ensureBucket({ bucket, client });
  const pipeline = Pipeline.create({ name: "fan-out" });
  const records = pipeline
    .source(sequenceSource({ ...(count !== undefined ? { count } : {}), ratePerSecond }), {
      uid: "sequence",
      parallelism,
    })
    .map((seq) => ({ seq }), { uid: "to-record", parallelism });
  records.sinkTo(kafkaSink<{ seq: number }>({ brokers, topic, key: (r) => String(r.seq) }), {
    uid: "kafka",
    parallelism,
  });
  records.sinkTo(
    postgresSink<{ seq: number }>({
      connectionString: postgresUrl(),
      table: process.env.PG_TABLE || "berth_fan_out",
      columns: { seq: "seq" },
      createTable: { seq: "bigint NOT NULL" },
    }),
    { uid: "postgres", parallelism },
  );
  records.sinkTo(s3Sink<{ seq: number }>({ bucket, base: process.env.S3_PREFIX || "fan-out", client }), {
    uid: "s3",
    parallelism,
  });
  return pipeline;
});
