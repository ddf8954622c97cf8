/**
 * Pipeline of the partition-discovery test, run by `berth run`: INPUT (unbounded, partitions
 * listed every 200 ms, offsets committed to GROUP) → OUTPUT (exactly-once Kafka sink), two
 * subtasks each.
 */
import { definePipeline, Pipeline } from "@berth/core";
import { kafkaSink } from "../kafka-sink.js";
import { TEST_BROKERS } from "../test-support.js";
import { kafkaSource } from "./kafka-source.js";

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

export default definePipeline(() => {
  const output = required("OUTPUT");
  const pipeline = Pipeline.create({ name: "kafka-discovery-it" });
  pipeline
    .source(
      kafkaSource({
        brokers: TEST_BROKERS,
        topics: required("INPUT"),
        groupId: required("GROUP"),
        partitionDiscoveryIntervalMs: 200,
        maxRecordsPerPoll: 100,
        deserializer: (m) => JSON.parse(String(m.value)) as { seq: number },
      }),
      { uid: "kafka-in", parallelism: 2 },
    )
    .sinkTo(kafkaSink<{ seq: number }>({ brokers: TEST_BROKERS, topic: output, key: (r) => String(r.seq) }), {
      uid: "kafka-out",
      parallelism: 2,
      sinkPrefix: `${output}-prefix`,
    });
  return pipeline;
});
