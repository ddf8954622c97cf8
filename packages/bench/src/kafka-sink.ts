/**
 * Kafka sink throughput against kafkajs's idempotent producer (acks=all, the sink's batching:
 * 1000 records per produce call, 3 calls in flight, one producer per subtask), and the
 * platform's own limit beside it: Kafka's Java `ProducerPerformance` on the same broker,
 * without and with a transactional id (a transaction per second, as at 1 s checkpoints).
 */
import { KAFKA_SINK_DEFAULTS, kafkaSink } from "@berth/sink-kafka";
import { serviceEndpoints } from "@berth/testkit/services";
import { Kafka, logLevel } from "kafkajs";
import type { Benchmark, BenchmarkContext, Row } from "./harness.js";
import { round2 } from "./harness.js";
import { type KafkaBroker, localKafkaBroker, producerPerformance } from "./kafka-platform.js";
import {
  type BenchRecord,
  recordOf,
  type SinkUnderTest,
  standardModes,
  THROUGHPUT_COLUMNS,
  type ThroughputCase,
  throughputCases,
  throughputMatrix,
} from "./sink-throughput.js";

const SIZES = {
  smoke: { small: 2_000, large: 500 },
  default: { small: 50_000, large: 20_000 },
  large: { small: 1_000_000, large: 1_000_000 },
};
const PARTITIONS = 3;
const BATCH = KAFKA_SINK_DEFAULTS.batchRecords;
const IN_FLIGHT = KAFKA_SINK_DEFAULTS.maxInFlightBatches;

function kafkaTarget(kafka: Kafka, brokers: string[]): SinkUnderTest {
  const topics = new Map<string, string>();
  async function topic(run: string): Promise<string> {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: run, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    topics.set(run, run);
    return run;
  }
  /** One subtask's share through its own idempotent producer, batches as the sink sends them. */
  async function rawProducer(t: string, c: ThroughputCase, subtask: number): Promise<void> {
    const make = recordOf(c.recordBytes);
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    const inFlight = new Set<Promise<unknown>>();
    let messages: { key: string; value: string }[] = [];
    const send = async () => {
      const p = producer.sendBatch({ acks: -1, topicMessages: [{ topic: t, messages }] });
      messages = [];
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    };
    for (let seq = subtask; seq < c.records; seq += c.parallelism) {
      messages.push({ key: String(seq), value: JSON.stringify(make(seq)) });
      if (messages.length >= BATCH) await send();
    }
    if (messages.length > 0) await send();
    await Promise.all(inFlight);
    await producer.disconnect();
  }
  return {
    referenceLabel: "kafkajs idempotent producer, acks=all",
    async raw(c, run) {
      const t = await topic(run);
      const started = performance.now();
      await Promise.all(Array.from({ length: c.parallelism }, (_, k) => rawProducer(t, c, k)));
      return performance.now() - started;
    },
    async sink(_c, mode, run) {
      const t = await topic(run);
      return kafkaSink<BenchRecord>({
        brokers,
        topic: t,
        key: (r) => String(r.seq),
        deliveryGuarantee: mode.deliveryGuarantee,
      });
    },
    async cleanup(run) {
      if (!topics.delete(run)) return;
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [run] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** The Java producer's rate for each record size, plain and transactional, beside Berth's exactly-once 1 s rate. */
async function platformRows(
  context: BenchmarkContext,
  kafka: Kafka,
  brokers: string[],
  broker: KafkaBroker,
  counts: { small: number; large: number },
  matrix: readonly Row[],
): Promise<Row[]> {
  const rows: Row[] = [];
  const sizes = [
    [100, counts.small],
    [1024, counts.large],
  ] as const;
  // Each Java run starts a JVM (seconds): the smoke size runs the transactional 100 B one only.
  const smoke = context.size === "smoke";
  for (const [recordBytes, records] of smoke ? sizes.slice(0, 1) : sizes) {
    const berth = matrix.find(
      (r) =>
        r.parallelism === 1 &&
        r.records === records &&
        r.mode === "exactly-once, 1 s" &&
        r.record === (recordBytes === 100 ? "100 B" : "1 KB"),
    );
    for (const transactional of smoke ? [true] : [false, true]) {
      const t = `bench-java-${Date.now().toString(36)}-${transactional ? "tx" : "plain"}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: t, numPartitions: PARTITIONS, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      await admin.disconnect();
      const java = await producerPerformance(context.work, broker, {
        brokers,
        topic: t,
        records,
        recordBytes,
        transactionalId: transactional ? `${t}-txn` : undefined,
      });
      const admin2 = kafka.admin();
      await admin2.connect();
      await admin2.deleteTopics({ topics: [t] }).catch(() => undefined);
      await admin2.disconnect();
      const berthRate = typeof berth?.berth === "number" ? berth.berth : null;
      const row: Row = {
        record: recordBytes === 100 ? "100 B" : "1 KB",
        records,
        java: transactional
          ? "ProducerPerformance, transactional id, 1 s transactions"
          : "ProducerPerformance, acks=all, idempotent",
        reference: java.recordsPerSecond,
        berth: berthRate,
        ratio: berthRate === null ? null : round2(berthRate / java.recordsPerSecond),
      };
      context.log(`Java ${row.java} ${row.record}: ${java.recordsPerSecond} rec/s`);
      rows.push(row);
    }
  }
  return rows;
}

export const kafkaSinkBenchmark: Benchmark = {
  name: "kafka-sink",
  title: "Kafka sink throughput: kafkajs idempotent producer vs Berth, and Kafka's Java producer",
  async run(context) {
    const { brokers } = serviceEndpoints().kafka;
    const kafka = new Kafka({ brokers, clientId: "berth-bench", logLevel: logLevel.NOTHING });
    const counts = SIZES[context.size];
    const broker = localKafkaBroker(brokers);
    const rows = await throughputMatrix(context, kafkaTarget(kafka, brokers), {
      cases: throughputCases(counts),
      modes: standardModes(0.9),
      warmupRecords: context.size === "smoke" ? 500 : 20_000,
    });
    const platform = await platformRows(context, kafka, brokers, broker, counts, rows);
    return {
      parameters: {
        records100B: counts.small,
        records1KB: counts.large,
        partitions: PARTITIONS,
        batchRecords: BATCH,
        maxInFlightBatches: IN_FLIGHT,
        brokers: brokers.join(","),
      },
      services: { kafka: broker.version },
      columns: [
        ...THROUGHPUT_COLUMNS.slice(0, 4),
        { key: "reference", label: "kafkajs idempotent, acks=all (rec/s)" },
        ...THROUGHPUT_COLUMNS.slice(5),
      ],
      rows,
      tables: [
        {
          title:
            "The platform's limit: Kafka's Java producer on the same broker (ratio: Berth exactly-once 1 s, parallelism 1 ÷ Java)",
          columns: [
            { key: "record", label: "record" },
            { key: "records", label: "records" },
            { key: "java", label: "Java producer" },
            { key: "reference", label: "Java (rec/s)" },
            { key: "berth", label: "Berth exactly-once 1 s (rec/s)" },
          ],
          rows: platform,
        },
      ],
      notes: [
        "reference: kafkajs's idempotent producer (acks=all, no transactions), one per subtask, 1000 records per produce call, 3 calls in flight — the sink's own batching; values are JSON.stringify of the same records, keys the sequence number",
        `Berth: sequence source → map → Kafka sink, every operator at the row's parallelism, topic of ${PARTITIONS} partitions, timed from start to FINISHED (the final commit included)`,
        "Java: org.apache.kafka.tools.ProducerPerformance of the broker's version (kafka-tools from Maven Central), acks=all, the same record count and size, throughput unlimited",
        "goal: exactly-once at 1 s checkpoints ≥ 0.9× the raw client",
      ],
    };
  },
};
