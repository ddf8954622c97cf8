/**
 * The pipeline of the guided demo (demo.ts), which runs it with `berth run` as a child process.
 * One unbounded, rate-limited source of order numbers in two branches: each number as
 * `{"seq": n}` into the file sink in `<DEMO_OUT>/sequence` and into every other target of
 * DEMO_TARGETS, and, read as orders (orders.ts), the totals per customer in 5 s event-time
 * windows into the file sink in `<DEMO_OUT>/windows`. DEMO_RATE: records per second (default
 * 1000). DEMO_TARGETS: a comma list of `kafka`, `postgres`, `s3` (default none; the topic,
 * table and bucket are those of {@link demoTargets}).
 */
import { definePipeline, fileSink, Pipeline } from "@berth/core";
import { ensureTopic, kafkaSink } from "@berth/sink-kafka";
import { postgresSink } from "@berth/sink-postgres";
import { ensureBucket, s3Sink } from "@berth/sink-s3";
import { orderNumbers, windowTotals } from "./orders.js";
import type { TargetKind } from "./target-readers.js";
import { integerSetting, kafkaBrokers, postgresUrl, s3Client } from "./targets-env.js";

/** Where the demo's sequence goes on each kind of target (what demo.ts reads back). */
export function demoTargets(out: string): Record<TargetKind, string> {
  return { files: `${out}/sequence`, kafka: "berth-demo", postgres: "berth_demo", s3: "berth-demo/demo" };
}

type Seq = { seq: number };

export default definePipeline(async () => {
  const out = process.env.DEMO_OUT || ".berth/demo";
  const targets = demoTargets(out);
  const pipeline = Pipeline.create({ name: "demo" });
  const numbers = orderNumbers(pipeline, {
    count: undefined,
    ratePerSecond: integerSetting("DEMO_RATE", 1000, 1) ?? 1000,
  });
  windowTotals(numbers, 1).sinkTo(fileSink({ directory: `${out}/windows` }), { uid: "window-files" });
  const records = numbers.map((seq): Seq => ({ seq }), { uid: "to-record" });
  records.sinkTo(fileSink({ directory: targets.files }), { uid: "files" });
  for (const kind of (process.env.DEMO_TARGETS || "").split(",").filter(Boolean)) {
    if (kind === "kafka") {
      const brokers = kafkaBrokers();
      await ensureTopic({ brokers, topic: targets.kafka });
      records.sinkTo(kafkaSink<Seq>({ brokers, topic: targets.kafka, key: (r) => String(r.seq) }), {
        uid: "kafka",
      });
    } else if (kind === "postgres") {
      const sink = postgresSink<Seq>({
        connectionString: postgresUrl(),
        table: targets.postgres,
        columns: { seq: "seq" },
        createTable: { seq: "bigint NOT NULL" },
      });
      records.sinkTo(sink, { uid: "postgres" });
    } else if (kind === "s3") {
      const [bucket = "", base = ""] = targets.s3.split("/");
      await ensureBucket({ bucket, client: s3Client() });
      records.sinkTo(s3Sink<Seq>({ bucket, base, client: s3Client() }), { uid: "s3" });
    } else {
      throw new Error(`DEMO_TARGETS: unknown target ${kind}; use kafka, postgres, s3`);
    }
  }
  return pipeline;
});
