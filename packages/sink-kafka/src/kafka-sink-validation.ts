/**
 * The checks a Kafka sink runs before a job starts (`Sink.validate`): the transaction timeout
 * against the checkpoint interval and the brokers' `transaction.max.timeout.ms` (read with
 * DescribeConfigs), and that a fixed topic exists (looked for again for a moment: topic-lookup.ts).
 */
import kafkajs, { type Kafka } from "kafkajs";
import { KafkaError, messageOf } from "./errors.js";
import type { ResolvedKafkaSinkOptions } from "./kafka-sink-options.js";
import { missingTopics } from "./topic-lookup.js";

export const TRANSACTION_MAX_TIMEOUT_CONFIG = "transaction.max.timeout.ms";

export interface BrokerTransactionLimits {
  /** The smallest `transaction.max.timeout.ms` over the brokers, or undefined when it could not be read. */
  readonly transactionMaxTimeoutMs: number | undefined;
  /** Why it could not be read. */
  readonly unreadable?: string;
}

/** The brokers' `transaction.max.timeout.ms` (DescribeConfigs on every broker). */
export async function brokerTransactionLimits(
  kafka: Kafka,
  topics: readonly string[],
): Promise<BrokerTransactionLimits & { missingTopics: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const missing = await missingTopics(admin, topics);
    try {
      const { brokers } = await admin.describeCluster();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: brokers.map((b) => ({
          type: kafkajs.ConfigResourceTypes.BROKER,
          name: String(b.nodeId),
          configNames: [TRANSACTION_MAX_TIMEOUT_CONFIG],
        })),
      });
      const values = resources.flatMap((r) =>
        r.configEntries
          .filter((e) => e.configName === TRANSACTION_MAX_TIMEOUT_CONFIG)
          .map((e) => Number(e.configValue))
          .filter((v) => Number.isFinite(v)),
      );
      return values.length > 0
        ? { transactionMaxTimeoutMs: Math.min(...values), missingTopics: missing }
        : { transactionMaxTimeoutMs: undefined, unreadable: "no broker reported it", missingTopics: missing };
    } catch (error) {
      return { transactionMaxTimeoutMs: undefined, unreadable: messageOf(error), missingTopics: missing };
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface ValidationLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export function checkTransactionTimeout(
  transactionTimeoutMs: number,
  recoveryWindowMs: number,
  checkpointIntervalMs: number,
  brokerMaxMs: number | undefined,
): void {
  const needed = checkpointIntervalMs + recoveryWindowMs;
  if (transactionTimeoutMs < needed) {
    throw new KafkaError(
      "KAFKA_TRANSACTION_TIMEOUT_INVALID",
      `kafka sink: transactionTimeoutMs ${transactionTimeoutMs} cannot hold a transaction across a checkpoint (interval ${checkpointIntervalMs} ms) and a recovery (recoveryWindowMs ${recoveryWindowMs} ms): the broker would abort pre-committed transactions before their commit and their records would be lost. Set transactionTimeoutMs to at least ${needed}${brokerMaxMs !== undefined ? ` (at most ${brokerMaxMs}, the brokers' ${TRANSACTION_MAX_TIMEOUT_CONFIG})` : ""}, or checkpoint more often`,
    );
  }
  if (brokerMaxMs !== undefined && transactionTimeoutMs > brokerMaxMs) {
    throw new KafkaError(
      "KAFKA_TRANSACTION_TIMEOUT_INVALID",
      `kafka sink: transactionTimeoutMs ${transactionTimeoutMs} exceeds the brokers' ${TRANSACTION_MAX_TIMEOUT_CONFIG} ${brokerMaxMs}, so the brokers would refuse the sink's producers. Lower transactionTimeoutMs to at most ${brokerMaxMs} (it must stay ≥ ${needed}: checkpoint interval + recoveryWindowMs), or raise ${TRANSACTION_MAX_TIMEOUT_CONFIG} on the brokers`,
    );
  }
}

export async function validateKafkaSink<T>(
  kafka: Kafka,
  options: ResolvedKafkaSinkOptions<T>,
  checkpointIntervalMs: number,
  log: ValidationLog | undefined,
): Promise<void> {
  let limits: Awaited<ReturnType<typeof brokerTransactionLimits>>;
  try {
    limits = await brokerTransactionLimits(kafka, typeof options.topic === "string" ? [options.topic] : []);
  } catch (error) {
    throw new KafkaError(
      "KAFKA_CONFIG_INVALID",
      `kafka sink: cannot reach the brokers ${options.brokers.join(",")} to check the sink's settings: ${messageOf(error)}`,
      { cause: error },
    );
  }
  if (typeof options.topic === "string" && limits.missingTopics.includes(options.topic)) {
    throw new KafkaError(
      "KAFKA_TOPIC_NOT_FOUND",
      `kafka sink: topic "${options.topic}" does not exist on ${options.brokers.join(",")}; create it first (the sink never creates topics)`,
    );
  }
  if (options.deliveryGuarantee !== "exactly-once") return;
  if (limits.transactionMaxTimeoutMs === undefined) {
    log?.warn(
      `kafka sink: could not read the brokers' ${TRANSACTION_MAX_TIMEOUT_CONFIG} (${limits.unreadable}); a transactionTimeoutMs above it fails when the first producer opens`,
    );
  }
  checkTransactionTimeout(
    options.transactionTimeoutMs,
    options.recoveryWindowMs,
    checkpointIntervalMs,
    limits.transactionMaxTimeoutMs,
  );
}
