/** Where the Kafka cluster is and how to talk to it, shared by the sink, the source and the CLI. */
import kafkajs, { type Kafka, type KafkaConfig } from "kafkajs";

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const { Kafka: KafkaClient, logLevel } = kafkajs;

import { KafkaError } from "./errors.js";

export interface KafkaConnectionOptions {
  /** Bootstrap brokers: `host:port` strings, or one comma-separated string (as `KAFKA_BROKERS`). */
  readonly brokers: string | readonly string[];
  /**
   * Further kafkajs client settings: `ssl`, `sasl`, `clientId`, `connectionTimeout`,
   * `requestTimeout`, `retry`, `logLevel`… Default client id `berth`; default log level
   * `NOTHING` (Berth reports failures itself).
   */
  readonly client?: Omit<KafkaConfig, "brokers">;
}

export function brokerList(brokers: string | readonly string[], what: string): string[] {
  const list = (typeof brokers === "string" ? brokers.split(",") : [...brokers])
    .map((b) => (typeof b === "string" ? b.trim() : ""))
    .filter((b) => b.length > 0);
  if (list.length === 0) {
    throw new KafkaError(
      "KAFKA_CONFIG_INVALID",
      `${what}: \`brokers\` must name at least one broker (host:port), e.g. "127.0.0.1:9092"`,
    );
  }
  for (const b of list) {
    if (!/^[^\s:]+:\d+$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(b)) {
      throw new KafkaError("KAFKA_CONFIG_INVALID", `${what}: broker "${b}" is not host:port`);
    }
  }
  return list;
}

export function createKafka(brokers: readonly string[], client: KafkaConnectionOptions["client"]): Kafka {
  return new KafkaClient({
    clientId: "berth",
    logLevel: logLevel.NOTHING,
    ...client,
    brokers: [...brokers],
  });
}
