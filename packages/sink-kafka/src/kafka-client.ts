/** Where the Kafka cluster is and how to talk to it, shared by the sink, the source and the CLI. */
import kafkajs, { type Kafka, type KafkaConfig } from "kafkajs";

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const { Kafka: KafkaClient, logLevel } = kafkajs;

import { createLogger, type Logger } from "@berth/core";
import { z } from "zod";
import { KafkaError } from "./errors.js";

export interface KafkaConnectionOptions {
  /** Bootstrap brokers: `host:port` strings, or one comma-separated string (as `KAFKA_BROKERS`). */
  readonly brokers: string | readonly string[];
  /**
   * Further kafkajs client settings: `ssl`, `sasl`, `clientId`, `connectionTimeout`,
   * `requestTimeout`, `retry`, `logLevel`, `logCreator`… Default client id `berth`; by default
   * kafkajs logs nothing itself (Berth reports failures) except one warning per retry while
   * no bootstrap broker answers, naming the brokers — progress while a broker is unreachable.
   */
  readonly client?: Omit<KafkaConfig, "brokers">;
}

function splitBrokers(brokers: string | readonly string[]): string[] {
  return (typeof brokers === "string" ? brokers.split(",") : [...brokers])
    .map((b) => (typeof b === "string" ? b.trim() : ""))
    .filter((b) => b.length > 0);
}

/** What is wrong with a broker list (worded to follow "`brokers`"), or undefined when it is fine. */
function brokerProblem(list: readonly string[]): string | undefined {
  if (list.length === 0) return 'must name at least one broker (host:port), e.g. "127.0.0.1:9092"';
  const bad = list.find((b) => !/^[^\s:]+:\d+$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(b));
  return bad === undefined ? undefined : `lists "${bad}", which is not host:port`;
}

export function brokerList(brokers: string | readonly string[], what: string): string[] {
  const list = splitBrokers(brokers);
  const problem = brokerProblem(list);
  if (problem) throw new KafkaError("KAFKA_CONFIG_INVALID", `${what}: \`brokers\` ${problem}`);
  return list;
}

/** The `brokers` option of the sink and the source: a list or a comma-separated string, checked and split. */
export const brokersOption = z.union([z.string(), z.array(z.string())]).transform((brokers, context) => {
  const list = splitBrokers(brokers);
  const problem = brokerProblem(list);
  if (problem) context.addIssue({ code: "custom", message: problem, input: brokers });
  return list;
});

/** The `client` option: further kafkajs settings, passed on as given. */
export const clientOption = z.custom<KafkaConnectionOptions["client"]>(
  (value) => typeof value === "object" && value !== null,
  { message: "expected an object of kafkajs client settings" },
);

/** A Kafka topic name: [a-zA-Z0-9._-], 1 to 249 characters, not "." or "..". */
export function isTopicName(name: unknown): boolean {
  return typeof name === "string" && /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== "." && name !== "..";
}

let progressLog: Logger | undefined;

/**
 * kafkajs's own log reduced to one line per failed attempt to reach the bootstrap brokers
 * (`BrokerPool` "Failed to connect to seed broker", with its retry count and delay).
 */
function seedBrokerRetries(brokers: readonly string[]): KafkaConfig["logCreator"] {
  return () =>
    ({ namespace, log }) => {
      if (namespace !== "BrokerPool" || !String(log.message).startsWith("Failed to connect to seed broker"))
        return;
      progressLog ??= createLogger(process.env.BERTH_LOG_LEVEL ?? "info");
      const reason = String(log.message).replace(/^.*?: /, "");
      progressLog.warn(
        `kafka: cannot reach broker ${brokers.join(",")} (${reason}); retry ${Number(log.retryCount) + 1} in ${(Number(log.retryTime) / 1000).toFixed(1)} s`,
      );
    };
}

export function createKafka(brokers: readonly string[], client: KafkaConnectionOptions["client"]): Kafka {
  const quiet = client?.logLevel === undefined && client?.logCreator === undefined;
  return new KafkaClient({
    clientId: "berth",
    ...(quiet
      ? { logLevel: logLevel.ERROR, logCreator: seedBrokerRetries(brokers) }
      : { logLevel: logLevel.NOTHING }),
    ...client,
    brokers: [...brokers],
  });
}

/** True when `error` (or its cause) says no broker could be reached. */
export function isUnreachable(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (
      e.name === "KafkaJSConnectionError" ||
      /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Connection (error|timeout)/.test(e.message)
    )
      return true;
  }
  return false;
}

/** The error for a cluster that never answered: the brokers, the reason, and what to check. */
export function unreachable(brokers: readonly string[], doing: string, error: unknown): KafkaError {
  return new KafkaError(
    "KAFKA_UNREACHABLE",
    `cannot reach Kafka at ${brokers.join(",")} to ${doing} (${error instanceof Error ? error.message : String(error)}); check that the broker runs and the brokers setting (KAFKA_BROKERS in the examples)`,
    { cause: error },
  );
}
