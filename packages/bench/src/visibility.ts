/**
 * Visibility latency: from a record entering the job (stamped as the source emits it) to the
 * moment an independent reader sees it — a `read_committed` kafkajs consumer, a SQL query, an
 * S3 listing — at 1 s and 100 ms checkpoint intervals, exactly once. The source is throttled,
 * so the figure is the checkpoint cycle and the commit, not a backlog.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { createLogger, Job, Pipeline, sequenceSource } from "@berth/core";
import type { Sink } from "@berth/core/connector";
import { kafkaSink } from "@berth/sink-kafka";
import { postgresSink } from "@berth/sink-postgres";
import { ensureBucket, s3Sink } from "@berth/sink-s3";
import { serviceEndpoints } from "@berth/testkit/services";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import type { Benchmark, BenchmarkContext, Row } from "./harness.js";
import { bounded, percentile, round2 } from "./harness.js";
import { waitUntil } from "./keyed-job.js";

const SIZES = {
  smoke: { seconds: 1, rate: 100 },
  default: { seconds: 10, rate: 500 },
  large: { seconds: 30, rate: 500 },
};
const BUCKET = "berth-bench";

interface Stamped {
  readonly seq: number;
  /** Date.now() when the record entered the job. */
  readonly t: number;
}

/** A reader of a target: started before the job, it reports each record's latency once. */
interface Reader {
  start(seen: (record: Stamped, at: number) => void): Promise<void>;
  stop(): Promise<void>;
}

interface Target {
  readonly name: string;
  readonly reader: string;
  setup(run: string): Promise<{ sink: Sink<Stamped>; reader: Reader; cleanup(): Promise<void> }>;
}

function pollingReader(
  intervalMs: number,
  poll: (seen: (r: Stamped, at: number) => void) => Promise<void>,
): Reader {
  let running = true;
  let loop: Promise<void> = Promise.resolve();
  return {
    async start(seen) {
      loop = (async () => {
        while (running) {
          await poll(seen);
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
        }
      })();
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

function kafkaTarget(): Target {
  const { brokers } = serviceEndpoints().kafka;
  const kafka = new Kafka({ brokers, clientId: "berth-bench-visibility", logLevel: logLevel.NOTHING });
  return {
    name: "Kafka",
    reader: "kafkajs consumer, read_committed, maxWaitTimeInMs 10",
    async setup(run) {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: run, numPartitions: 1 }], waitForLeaders: true });
      const consumer = kafka.consumer({ groupId: run, readUncommitted: false, maxWaitTimeInMs: 10 });
      return {
        sink: kafkaSink<Stamped>({ brokers, topic: run }),
        reader: {
          async start(seen) {
            await consumer.connect();
            await consumer.subscribe({ topic: run, fromBeginning: true });
            await consumer.run({
              eachMessage: async ({ message }) =>
                seen(JSON.parse(String(message.value)) as Stamped, Date.now()),
            });
          },
          stop: () => consumer.disconnect(),
        },
        async cleanup() {
          await admin.deleteTopics({ topics: [run] }).catch(() => undefined);
          await admin.disconnect();
        },
      };
    },
  };
}

function postgresTarget(): Target {
  const { connectionString } = serviceEndpoints().postgres;
  return {
    name: "PostgreSQL",
    reader: "SELECT … WHERE seq > last seen, every 10 ms",
    async setup(run) {
      const client = new pg.Client({ connectionString });
      await client.connect();
      await client.query(`CREATE TABLE "${run}" (seq bigint PRIMARY KEY, t bigint NOT NULL)`);
      let last = -1;
      return {
        sink: postgresSink<Stamped>({ connectionString, table: run, columns: { seq: "seq", t: "t" } }),
        reader: pollingReader(10, async (seen) => {
          const result = await client.query<{ seq: string; t: string }>(
            `SELECT seq, t FROM "${run}" WHERE seq > $1 ORDER BY seq`,
            [last],
          );
          const at = Date.now();
          for (const row of result.rows) {
            seen({ seq: Number(row.seq), t: Number(row.t) }, at);
            last = Math.max(last, Number(row.seq));
          }
        }),
        async cleanup() {
          await client.query(`DROP TABLE IF EXISTS "${run}"`);
          await client.end();
        },
      };
    },
  };
}

function s3Target(): Target {
  const config: S3ClientConfig = {
    ...serviceEndpoints().s3,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
  return {
    name: "S3",
    reader: "ListObjectsV2 every 20 ms (a record is visible when its object is listed)",
    async setup(run) {
      await ensureBucket({ bucket: BUCKET, client: config });
      const client = new S3Client(config);
      const listed = new Set<string>();
      return {
        sink: s3Sink<Stamped>({ bucket: BUCKET, base: run, client: config }),
        reader: pollingReader(20, async (seen) => {
          const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${run}/` }));
          const at = Date.now();
          for (const o of page.Contents ?? []) {
            const key = o.Key as string;
            // S3Proxy lists a write in progress as <key>-<uuid> until it is renamed: only finished objects count.
            if (listed.has(key) || !key.endsWith(".jsonl")) continue;
            listed.add(key);
            const body = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
            const text = await (body.Body as { transformToString(): Promise<string> }).transformToString();
            for (const line of text.split("\n").filter(Boolean)) seen(JSON.parse(line) as Stamped, at);
          }
        }),
        async cleanup() {
          client.destroy();
        },
      };
    },
  };
}

async function measure(
  context: BenchmarkContext,
  target: Target,
  intervalMs: number,
  size: { seconds: number; rate: number },
  run: string,
): Promise<number[]> {
  const { sink, reader, cleanup } = await target.setup(run);
  const latencies = new Map<number, number>();
  try {
    await reader.start((record, at) => {
      if (!latencies.has(record.seq)) latencies.set(record.seq, at - record.t);
    });
    const count = size.seconds * size.rate;
    const pipeline = Pipeline.create({ name: "bench-visibility" });
    pipeline
      .source(sequenceSource({ count, ratePerSecond: size.rate, batchSize: 100 }), { uid: "seq" })
      .map((seq: number): Stamped => ({ seq, t: Date.now() }), { uid: "stamp" })
      .sinkTo(sink, { uid: "sink", sinkPrefix: `${run}-p` });
    const job = new Job(pipeline, {
      checkpointDirectory: `${context.work}/${run}`,
      checkpointIntervalMs: intervalMs,
      logger: createLogger("silent"),
    });
    const result = await job.run();
    if (result.state !== "FINISHED")
      throw new Error(`visibility job ended ${result.state}: ${result.error?.message}`);
    await waitUntil(() => latencies.size >= count, `${count} records visible in ${target.name}`, 60_000);
  } finally {
    await bounded(reader.stop(), 30_000, `stopping the ${target.name} reader`);
    await bounded(cleanup(), 30_000, `cleaning up ${run}`);
  }
  return [...latencies.values()];
}

export const visibilityBenchmark: Benchmark = {
  name: "visibility",
  title: "Visibility latency: a record entering the job → readable by an independent reader (exactly-once)",
  async run(context) {
    const size = SIZES[context.size];
    const rows: Row[] = [];
    let n = 0;
    for (const target of [kafkaTarget(), postgresTarget(), s3Target()]) {
      for (const intervalMs of [1000, 100]) {
        const latencies = await measure(
          context,
          target,
          intervalMs,
          size,
          `bench-vis-${Date.now().toString(36)}-${n++}`,
        );
        const row: Row = {
          target: target.name,
          reader: target.reader,
          checkpointIntervalMs: intervalMs,
          records: latencies.length,
          p50: round2(percentile(latencies, 50)),
          p99: round2(percentile(latencies, 99)),
          ratio: null,
        };
        context.log(`${target.name} at ${intervalMs} ms: p50 ${row.p50} ms, p99 ${row.p99} ms`);
        rows.push(row);
      }
    }
    return {
      parameters: { seconds: size.seconds, recordsPerSecond: size.rate },
      columns: [
        { key: "target", label: "target" },
        { key: "reader", label: "reader" },
        { key: "checkpointIntervalMs", label: "checkpoint interval (ms)" },
        { key: "records", label: "records" },
        { key: "p50", label: "p50 (ms)" },
        { key: "p99", label: "p99 (ms)" },
      ],
      rows,
      notes: [
        `job: sequence source at ${size.rate} records/s → map stamping Date.now() → the exactly-once sink (defaults), parallelism 1; a record is visible once committed: a checkpoint completes, then its commit`,
        "latency per record: when the reader first saw it minus its stamp; the reader's own polling interval is part of the figure",
      ],
    };
  },
};
