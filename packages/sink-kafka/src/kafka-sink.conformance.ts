/**
 * The Kafka sink under the conformance kit: each target is a fresh 3-partition topic; what
 * is committed is what kafkajs's own `read_committed` consumer reads up to the last stable
 * offsets (no code of the sink or of Berth's source is involved); what lingers is every open
 * transaction under the sink prefix (ListTransactions).
 */
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { defineSinkConformance } from "@berth/testkit/factory";
import { kafkaSink } from "./kafka-sink.js";
import { KAFKA_SINK_DEFAULTS } from "./kafka-sink-options.js";
import {
  createTopic,
  deleteTopic,
  openTransactions,
  readCommittedSeqs,
  TEST_BROKERS,
  testKafka,
} from "./test-support.js";

export interface KafkaTarget {
  readonly brokers: string[];
  readonly topic: string;
}

const PARTITIONS = 3;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function newTarget(brokers: string[], id: string): Promise<KafkaTarget> {
  const topic = `berth-conf-${id}`;
  await createTopic(testKafka(brokers), topic, PARTITIONS);
  return { brokers, topic };
}

function sinkOn(target: KafkaTarget, pool?: { poolSize: number; maxPoolSize: number }) {
  return kafkaSink<{ seq: number }>({
    brokers: target.brokers,
    topic: target.topic,
    key: (r) => String(r.seq),
    // The kit checkpoints every 150 ms; a crashed run's transactions wait for a restore.
    transactionTimeoutMs: 120_000,
    ...pool,
  });
}

const factory = defineSinkConformance<KafkaTarget>({
  createTarget: ({ id }) => newTarget(TEST_BROKERS, id),
  createSink: (target) => sinkOn(target),
  transactionPoolSize: KAFKA_SINK_DEFAULTS.poolSize,
  readCommitted: (target) => readCommittedSeqs(testKafka(target.brokers), target.topic),
  lingeringTransactions: (target, sinkPrefix) => openTransactions(testKafka(target.brokers), sinkPrefix),
  dropTarget: (target) => deleteTopic(testKafka(target.brokers), target.topic),
  async startPrivateTarget(context) {
    const { KafkaServer, servicesDir } = await import("@berth/testkit/services");
    const dir = join(context.workDirectory, "kafka");
    await mkdir(dir, { recursive: true });
    const server = new KafkaServer({
      port: await freePort(),
      controllerPort: await freePort(),
      dir,
      runtimeCache: join(servicesDir(), "runtime"),
    });
    await server.start();
    const target = await newTarget(server.brokers, context.id);
    return {
      target,
      async restart() {
        await server.stop();
        await server.start();
      },
      async stop() {
        await server.stop({ wipe: true });
      },
    };
  },
});

export default factory;

/**
 * One transactional id per subtask, two at most: every transaction after the first waits for
 * a commit confirmation and reuses the id before the commit is recorded in a checkpoint (the
 * full-pool path of the writer), so a restore meets committables whose id already carries the
 * next transaction; and checkpoints failing after pre-commit exhaust the pool at once
 * (`KAFKA_TRANSACTION_POOL_EXHAUSTED`: the job fails over).
 */
export const poolOfOne = defineSinkConformance<KafkaTarget>({
  ...factory,
  createSink: (target) => sinkOn(target, { poolSize: 1, maxPoolSize: 2 }),
  transactionPoolSize: 1,
});
