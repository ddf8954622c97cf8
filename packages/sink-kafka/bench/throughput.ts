/**
 * Exactly-once throughput of the Kafka sink at a 1 s checkpoint interval against kafkajs's
 * idempotent producer (acks=all, no transactions) with the same batching, on the same broker,
 * measured in one run: `pnpm --filter @berth/sink-kafka bench` (KAFKA_BROKERS, default
 * 127.0.0.1:9092). BENCH_RECORDS_100B / BENCH_RECORDS_1KB set the record counts (default
 * 1000000 each), BENCH_PARTITIONS the topic's partitions (default 3).
 *
 * Both sides build each record's value with JSON.stringify (`{"seq":n,"pad":"…"}` of the
 * record size) and send batches of 1000 records with up to 3 produce calls in flight. The
 * Berth side is a whole job: sequence source → map → Kafka sink (parallelism 1), timed from
 * start to FINISHED (the final checkpoint's commit included).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, Job, Pipeline, sequenceSource } from "@berth/core";
import type { Kafka } from "kafkajs";
import { createKafka } from "../src/kafka-client.js";
import { kafkaSink } from "../src/kafka-sink.js";
import { KAFKA_SINK_DEFAULTS } from "../src/kafka-sink-options.js";

const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const partitions = Number(process.env.BENCH_PARTITIONS ?? 3);
const kafka = createKafka(brokers, { clientId: "berth-bench" });
const BATCH = KAFKA_SINK_DEFAULTS.batchRecords;
const IN_FLIGHT = KAFKA_SINK_DEFAULTS.maxInFlightBatches;

function recordOf(size: number): (seq: number) => { seq: number; pad: string } {
  const pad = "x".repeat(Math.max(0, size - '{"seq":1000000,"pad":""}'.length));
  return (seq) => ({ seq, pad });
}

async function topic(name: string): Promise<string> {
  const t = `berth-bench-${name}-${Date.now().toString(36)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: t, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  return t;
}

async function dropTopic(t: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [t] }).catch(() => undefined);
  await admin.disconnect();
}

/** kafkajs's idempotent producer, acks=all, batches of BATCH with IN_FLIGHT calls in flight. */
async function raw(client: Kafka, count: number, size: number): Promise<number> {
  const t = await topic(`raw-${size}`);
  const make = recordOf(size);
  const producer = client.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const started = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let from = 0; from < count; from += BATCH) {
    const messages = [];
    for (let seq = from; seq < Math.min(count, from + BATCH); seq++) {
      messages.push({ key: String(seq), value: JSON.stringify(make(seq)) });
    }
    const p = producer.sendBatch({ acks: -1, topicMessages: [{ topic: t, messages }] });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  await dropTopic(t);
  return count / seconds;
}

/** A Berth job: sequence → map → exactly-once Kafka sink, 1 s checkpoints. */
async function berth(count: number, size: number): Promise<{ rate: number; checkpoints: number }> {
  const t = await topic(`eos-${size}`);
  const make = recordOf(size);
  const directory = await mkdtemp(join(tmpdir(), "berth-bench-"));
  const pipeline = Pipeline.create({ name: "kafka-bench" });
  pipeline
    .source(sequenceSource({ count, batchSize: 1000 }), { uid: "sequence" })
    .map(make, { uid: "record" })
    .sinkTo(kafkaSink({ brokers, topic: t, key: (r: { seq: number }) => String(r.seq) }), {
      uid: "kafka",
      sinkPrefix: `${t}-prefix`,
    });
  const job = new Job(pipeline, {
    checkpointDirectory: directory,
    checkpointIntervalMs: 1_000,
    logger: createLogger("warn"),
  });
  let checkpoints = 0;
  job.on("snapshot-written", () => checkpoints++);
  const started = performance.now();
  const result = await job.run();
  const seconds = (performance.now() - started) / 1000;
  if (result.state !== "FINISHED") throw new Error(`the job ended ${result.state}: ${result.error?.message}`);
  await rm(directory, { recursive: true, force: true });
  await dropTopic(t);
  return { rate: count / seconds, checkpoints };
}

const cases = [
  { label: "100 B", size: 100, count: Number(process.env.BENCH_RECORDS_100B ?? 1_000_000) },
  { label: "1 KB", size: 1024, count: Number(process.env.BENCH_RECORDS_1KB ?? 1_000_000) },
];

const rows: string[] = [];
for (const c of cases) {
  // Warm up connections and the JIT on both paths.
  await raw(kafka, 20_000, c.size);
  await berth(20_000, c.size);
  const rawRate = await raw(kafka, c.count, c.size);
  const eos = await berth(c.count, c.size);
  rows.push(
    `| ${c.label} | ${c.count.toLocaleString("en-US")} | ${Math.round(rawRate).toLocaleString("en-US")} | ${Math.round(eos.rate).toLocaleString("en-US")} (${eos.checkpoints} checkpoints) | ${(eos.rate / rawRate).toFixed(2)}× |`,
  );
  process.stderr.write(`${rows[rows.length - 1]}\n`);
}
process.stdout.write(
  [
    `Kafka sink throughput, ${brokers.join(",")}, ${partitions} partitions, batches of ${BATCH}, ${IN_FLIGHT} in flight, node ${process.version}`,
    "",
    "| record | records | kafkajs idempotent producer, acks=all (rec/s) | Berth exactly-once, 1 s checkpoints (rec/s) | ratio |",
    "|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n"),
);
