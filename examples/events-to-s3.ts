/**
 * Kafka → partitioned JSON Lines on S3, exactly-once: `berth run examples/events-to-s3.ts`.
 * Reads KAFKA_TOPIC (default `berth-events`, created when missing) with `read_committed` —
 * records `{"seq": n}` as `sequence-to-kafka.ts` writes them — and writes each as
 * `{"seq": n, "at": "<the Kafka record's timestamp, ISO 8601>"}` to S3_BUCKET (default
 * `berth-events`, created when missing) under `<S3_PREFIX>/dt=YYYY-MM-DD/hour=HH/` (S3_PREFIX
 * default `events`), by the record's timestamp in UTC. An object appears, whole, once its
 * checkpoint completes. KAFKA_BOUNDED=1 ends the job once the records the topic held at the
 * first start are read. Also KAFKA_BROKERS, PARALLELISM (default 1), S3_ENDPOINT, S3_REGION,
 * S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY.
 */
import { definePipeline, Pipeline } from "@berth/core";
import { ensureTopic, kafkaSource } from "@berth/sink-kafka";
import { ensureBucket, s3Sink } from "@berth/sink-s3";
import { integerSetting, kafkaBrokers, s3Client } from "./targets-env.js";

interface Event {
  readonly seq: number;
  readonly at: string;
}

export default definePipeline(async () => {
  const brokers = kafkaBrokers();
  const topic = process.env.KAFKA_TOPIC || "berth-events";
  const bucket = process.env.S3_BUCKET || "berth-events";
  const parallelism = integerSetting("PARALLELISM", 1, 1) ?? 1;
  const client = s3Client();
  await ensureTopic({ brokers, topic, partitions: Math.max(3, parallelism) });
  await ensureBucket({ bucket, client });
  const pipeline = Pipeline.create({ name: "events-to-s3" });
  pipeline
    .source(
      kafkaSource({
        brokers,
        topics: topic,
        bounded: process.env.KAFKA_BOUNDED === "1",
        deserializer: (m): Event => ({
          seq: (JSON.parse(String(m.value)) as { seq: number }).seq,
          at: new Date(m.timestamp).toISOString(),
        }),
      }),
      { uid: "events-in", parallelism },
    )
    .sinkTo(
      s3Sink<Event>({
        bucket,
        base: process.env.S3_PREFIX || "events",
        client,
        partitionBy: (e) => ({ dt: e.at.slice(0, 10), hour: e.at.slice(11, 13) }),
      }),
      { uid: "events-out", parallelism },
    );
  return pipeline;
});
