/**
 * Kafka readiness as the sinks need it: a kafkajs transactional producer commits a record. A
 * broker that accepts connections but has no transaction coordinator yet is not ready. kafkajs
 * is an optional peer dependency, loaded only when a probe runs.
 */

export const READY_TOPIC = "berth-services-ready";

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Commits one transactional record to {@link READY_TOPIC}; rejects with the reason otherwise. */
export async function kafkaTransactionalCommit(brokers: string[], timeoutMs = 10_000): Promise<void> {
  const { Kafka, logLevel } = (await import("kafkajs")).default;
  const kafka = new Kafka({
    clientId: "berth-services",
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({
    transactionalId: `berth-services-ready-${process.pid}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  const attempt = async () => {
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: READY_TOPIC, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await producer.connect();
    const tx = await producer.transaction();
    try {
      await tx.send({ topic: READY_TOPIC, messages: [{ value: new Date().toISOString() }] });
      await tx.commit();
    } catch (error) {
      await tx.abort().catch(() => {});
      throw error;
    }
  };
  try {
    await withTimeout(attempt(), timeoutMs, "kafka transactional commit");
  } finally {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  }
}

export async function isKafkaReady(brokers: string[], timeoutMs = 10_000): Promise<boolean> {
  try {
    await kafkaTransactionalCommit(brokers, timeoutMs);
    return true;
  } catch {
    return false;
  }
}
