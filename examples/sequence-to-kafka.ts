/**
 * A sequence source into the exactly-once Kafka sink: `berth run examples/sequence-to-kafka.ts`.
 * Every record of KAFKA_TOPIC (default `berth-sequence`, created with 3 partitions when missing)
 * is JSON `{"seq": n}` keyed by n; read it with `read_committed` isolation to see exactly-once.
 * Environment (DESIGN.md, "The sequence examples"): SEQ_COUNT, SEQ_RATE, SEQ_PARALLELISM,
 * KAFKA_BROKERS (default 127.0.0.1:9092), KAFKA_TOPIC.
 */
import { definePipeline, Pipeline, sequenceSource } from "@berth/core";
import { ensureTopic, kafkaSink } from "@berth/sink-kafka";
import { sequenceSettings } from "./sequence-env.js";
import { kafkaBrokers } from "./targets-env.js";

export default definePipeline(async () => {
  const { count, ratePerSecond, parallelism } = sequenceSettings();
  const brokers = kafkaBrokers();
  const topic = process.env.KAFKA_TOPIC || "berth-sequence";
  await ensureTopic({ brokers, topic, partitions: Math.max(3, parallelism) });
  const pipeline = Pipeline.create({ name: "sequence-to-kafka" });
  pipeline
    .source(sequenceSource({ ...(count !== undefined ? { count } : {}), ratePerSecond }), {
      uid: "sequence",
      parallelism,
    })
    .map((seq) => ({ seq }), { uid: "to-record", parallelism })
    .sinkTo(kafkaSink<{ seq: number }>({ brokers, topic, key: (r) => String(r.seq) }), {
      uid: "kafka",
      parallelism,
    });
  return pipeline;
});
