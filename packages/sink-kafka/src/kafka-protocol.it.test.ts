/**
 * The protocol versions Berth sends, against what the broker allows. Kafka 4.0 removed old
 * versions of many APIs (KIP-896); a client that still sent one would fail at that call. Every
 * request kafkajs puts on the wire is recorded at its connection (kafkajs's own
 * `network/connection`, below the sink, the source and the internals) while the sink and the
 * source do everything they do — validate, clean up lingering transactions, write, pre-commit,
 * commit, wait for markers, stop, resume a pre-committed transaction by EndTxn from a stored
 * producer id and epoch, read back the log, read with the source — and compared with the
 * broker's own ApiVersions answer (read over a plain socket) and with the table in the README,
 * so an API sent at a version the broker lacks fails here by name.
 */
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, Job, Pipeline, sequenceSource } from "@berth/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokerApiVersions } from "./broker-api-versions.js";
import { TransactionalProducer, TransactionClient } from "./kafka-internals/index.js";
import { kafkaSink } from "./kafka-sink.js";
import { kafkaSource } from "./source/kafka-source.js";
import { diffSeqs, range, readCommittedSeqs, TEST_BROKERS, testKafka, uniqueName } from "./test-support.js";
import { ensureTopic } from "./topics.js";

interface SentRequest {
  readonly apiKey: number;
  readonly apiName: string;
  readonly apiVersion: number;
}

type Send = (this: unknown, protocolRequest: { request: SentRequest }) => Promise<unknown>;

const require = createRequire(import.meta.url);
const Connection = require("kafkajs/src/network/connection.js") as { prototype: { send: Send } };
const sent = new Map<number, { apiName: string; versions: Set<number> }>();
const original = Connection.prototype.send;
/** Only Berth's calls are recorded, not those of the test's own reader (a kafkajs consumer group). */
let recording = false;

async function recorded<T>(berth: () => Promise<T>): Promise<T> {
  recording = true;
  try {
    return await berth();
  } finally {
    recording = false;
  }
}

interface ProtocolTable {
  /** The releases of the range columns, e.g. `Kafka 3.9.2`. */
  readonly releases: string[];
  /** By API key: its name, the version Berth sends, and the range each release allows. */
  readonly rows: Map<number, { name: string; version: number; ranges: { min: number; max: number }[] }>;
}

/** The README's protocol table (section "Protocol versions"). */
function documentedTable(): ProtocolTable {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const header = /^\| API +\| key +\| Berth sends +\|(.*)$/m.exec(readme)?.[1] ?? "";
  const releases = header
    .split("|")
    .map((c) => c.trim().replace(/ allows$/, ""))
    .filter((c) => c.length > 0);
  const rows: ProtocolTable["rows"] = new Map();
  for (const [, name, key, version, rest] of readme.matchAll(/^\| (\w+) +\| (\d+) +\| (\d+) +\|(.*)$/gm)) {
    const ranges = [...(rest as string).matchAll(/(\d+)–(\d+)/g)].map(([, min, max]) => ({
      min: Number(min),
      max: Number(max),
    }));
    rows.set(Number(key), { name: name as string, version: Number(version), ranges });
  }
  return { releases, rows };
}

const kafka = testKafka();

function jobOn(pipeline: Pipeline, checkpoints: string, restore?: string): Job {
  return new Job(pipeline, {
    jobId: uniqueName("protocol-job"),
    checkpointDirectory: checkpoints,
    checkpointIntervalMs: 200,
    restartStrategy: { attempts: 0, delayMs: 0 },
    logger: createLogger("silent"),
    ...(restore ? { restore: { path: restore } } : {}),
  });
}

describe("kafka protocol versions", () => {
  beforeAll(() => {
    Connection.prototype.send = function (this: unknown, protocolRequest) {
      const { apiKey, apiName, apiVersion } = protocolRequest.request;
      if (!recording) return original.call(this, protocolRequest);
      const entry = sent.get(apiKey) ?? { apiName, versions: new Set<number>() };
      entry.versions.add(apiVersion);
      sent.set(apiKey, entry);
      return original.call(this, protocolRequest);
    };
  });

  afterAll(() => {
    Connection.prototype.send = original;
  });

  it("the sink and the source send every API at a version the broker allows, the one the README lists; EndTxn is v1", async () => {
    const topic = uniqueName("protocol");
    const copy = uniqueName("protocol-copy");
    for (const t of [topic, copy]) {
      expect(await recorded(() => ensureTopic({ brokers: TEST_BROKERS, topic: t }))).toBe(true);
    }
    const work = await mkdtemp(join(tmpdir(), "berth-protocol-"));
    const prefix = uniqueName("protocol-p");

    // The exactly-once sink: a run stopped with a savepoint after its first checkpoint, then
    // restored and stopped again the same way (the input never ends on its own).
    const sinkPipeline = () => {
      const pipeline = Pipeline.create({ name: "protocol-sink" });
      pipeline
        .source(sequenceSource({ count: 10_000_000, ratePerSecond: 2_000, batchSize: 50 }), {
          uid: "sequence",
        })
        .map((seq) => ({ seq }), { uid: "to-record" })
        .sinkTo(kafkaSink<{ seq: number }>({ brokers: TEST_BROKERS, topic, key: (r) => String(r.seq) }), {
          uid: "kafka",
          parallelism: 2,
          sinkPrefix: prefix,
        });
      return pipeline;
    };
    const runUntilFirstCheckpoint = async (restore?: string): Promise<string> => {
      const job = jobOn(sinkPipeline(), join(work, "sink"), restore);
      const run = job.run();
      await new Promise<void>((resolve) => job.once("snapshot-written", () => resolve()));
      const savepoint = await job.stop({ drain: false, targetDirectory: join(work, "savepoints") });
      expect((await run).state).toBe("FINISHED");
      return savepoint;
    };
    await recorded(async () => runUntilFirstCheckpoint(await runUntilFirstCheckpoint()));
    // Every record before the second stop once: the sequence 0…n-1, nothing twice.
    const written = await readCommittedSeqs(kafka, topic);
    expect(written.length).toBeGreaterThan(0);
    expect(diffSeqs(written, range(0, written.length))).toEqual({
      missing: [],
      duplicated: [],
      unexpected: [],
    });

    // A pre-committed transaction committed from elsewhere by its stored producer id and epoch
    // (what a restore does after a crash), and the at-least-once sink.
    await recorded(async () => {
      const producer = await TransactionalProducer.open(kafka, {
        transactionalId: uniqueName("protocol-tx"),
        transactionTimeoutMs: 60_000,
      });
      producer.begin();
      await producer.send([{ topic: copy, messages: [{ value: JSON.stringify({ seq: -1 }) }] }]);
      const prepared = await producer.prepareCommit();
      if (!prepared) throw new Error("the transaction holds a record, so it has a pre-committed state");
      const client = TransactionClient.create(kafka);
      expect((await client.resumeAndCommit(prepared)).kind).toBe("committed");
      await client.close();
      await producer.close();
    });

    // The source, bounded, reading what the sink committed; the at-least-once sink writing it on.
    const sourcePipeline = Pipeline.create({ name: "protocol-source" });
    sourcePipeline
      .source(
        kafkaSource({
          brokers: TEST_BROKERS,
          topics: topic,
          bounded: true,
          deserializer: (m) => JSON.parse(String(m.value)) as { seq: number },
        }),
        { uid: "kafka-in", parallelism: 2 },
      )
      .sinkTo(
        kafkaSink<{ seq: number }>({
          brokers: TEST_BROKERS,
          topic: copy,
          deliveryGuarantee: "at-least-once",
        }),
        { uid: "kafka-out", parallelism: 1 },
      );
    expect((await recorded(() => jobOn(sourcePipeline, join(work, "source")).run())).state).toBe("FINISHED");
    const copied = (await readCommittedSeqs(kafka, copy)).filter((s) => s >= 0);
    expect(diffSeqs([...new Set(copied)], range(0, written.length)).missing).toEqual([]);

    const broker = await brokerApiVersions(TEST_BROKERS[0] as string);
    const documented = documentedTable();
    const rows = [...sent].sort(([a], [b]) => a - b);
    const span = (r: { min: number; max: number } | undefined) => (r ? `${r.min}–${r.max}` : "none");
    console.log(
      `kafka protocol versions against ${TEST_BROKERS.join(",")}:\n  ${rows
        .map(([key, { apiName, versions }]) => {
          return `${apiName} (${key}): sends ${[...versions].join(",")}, broker allows ${span(broker.ranges.get(key))}`;
        })
        .join("\n  ")}`,
    );
    const problems: string[] = [];
    for (const [key, { apiName, versions }] of rows) {
      const allowed = broker.ranges.get(key);
      for (const v of versions) {
        if (!allowed || v < allowed.min || v > allowed.max) {
          problems.push(`${apiName} (key ${key}) v${v} is not allowed by the broker (${span(allowed)})`);
        }
      }
      const doc = documented.rows.get(key);
      if (!doc) problems.push(`${apiName} (key ${key}) is sent but not in the README's protocol table`);
      else if (versions.size !== 1 || !versions.has(doc.version)) {
        problems.push(
          `${apiName} (key ${key}) is sent at v${[...versions].join(",")}; the README says v${doc.version}`,
        );
      }
    }
    for (const [key, doc] of documented.rows) {
      if (!sent.has(key)) problems.push(`the README lists ${doc.name} (key ${key}), which nothing sent`);
    }
    // The broker is one of the documented releases: its column holds exactly its ranges.
    const column = documented.releases.findIndex((_, i) =>
      [...documented.rows].every(([key, doc]) => {
        const r = broker.ranges.get(key);
        return r !== undefined && doc.ranges[i]?.min === r.min && doc.ranges[i]?.max === r.max;
      }),
    );
    if (column < 0) {
      problems.push(
        `the broker's ranges match no column of the README's table (${documented.releases.join(", ")}): ${[
          ...documented.rows,
        ]
          .map(([key, doc]) => `${doc.name} ${span(broker.ranges.get(key))}`)
          .join(", ")}`,
      );
    }
    expect(problems).toEqual([]);
    // KIP-890's transaction version 2 applies to clients that send EndTxn v5 or later only.
    expect(sent.get(26)?.versions).toEqual(new Set([1]));
  });
});
