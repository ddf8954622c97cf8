/**
 * Kafka → map → Kafka, exactly-once: `berth run examples/kafka-to-kafka.ts`. Reads
 * KAFKA_INPUT_TOPIC (default `berth-sequence`, what sequence-to-kafka.ts writes) with
 * `read_committed`, turns each `{"seq": n}` into `{"seq": n, "square": n*n}` and writes it to
 * KAFKA_OUTPUT_TOPIC (default `berth-sequence-squares`, created when missing) in Kafka
 * transactions. Source offsets live in checkpoints, so a stop, a restore or a crash neither
 * skips nor repeats a record. KAFKA_BOUNDED=1 ends the job once the input topic's records at
 * the first start are read; PARALLELISM (default 1); KAFKA_BROKERS (default 127.0.0.1:9092).
 */
import { definePipeline, Pipeline } from "@berth/core";
import { ensureTopic, kafkaSink, kafkaSource } from "@berth/sink-kafka";
import { integerSetting, kafkaBrokers } from "./targets-env.js";

export default definePipeline(async () => {
  const brokers = kafkaBrokers();
  const input = process.env.KAFKA_INPUT_TOPIC || "berth-sequence";
  const output = process.env.KAFKA_OUTPUT_TOPIC || "berth-sequence-squares";
  const parallelism = integerSetting("PARALLELISM", 1, 1) ?? 1;
  await ensureTopic({ brokers, topic: input });
  await ensureTopic({ brokers, topic: output });
  const pipeline = Pipeline.create({ name: "kafka-to-kafka" });
  pipeline
    .source(
      kafkaSource({
        brokers,
        topics: input,
        bounded: process.env.KAFKA_BOUNDED === "1",
        deserializer: (m) => JSON.parse(String(m.value)) as { seq: number },
      }),
      { uid: "kafka-in", parallelism, watermarks: { maxOutOfOrdernessMs: 1_000, idleTimeoutMs: 5_000 } },
    )
    .map(({ seq }) => ({ seq, square: seq * seq }), { uid: "square", parallelism })
    .sinkTo(
      kafkaSink<{ seq: number; square: number }>({ brokers, topic: output, key: (r) => String(r.seq) }),
      {
        uid: "kafka-out",
        parallelism,
      },
    );
  return pipeline;
});
