/**
 * The one place that reaches into kafkajs internals (kafkajs 2.2.4 exposes neither the
 * producer id and epoch of a transactional producer nor a way to end a transaction it did
 * not start). Everything here is loaded from `kafkajs/src/...` with `require`, typed by the
 * minimal declarations below (exactly what Berth uses), and checked at load time: a kafkajs
 * whose version or internal shapes differ fails loudly instead of misbehaving.
 *
 * See docs/decisions/0001-kafka-transaction-resume.md.
 */
import { createRequire } from "node:module";
import type { Kafka } from "kafkajs";
import { KafkaInternalsError } from "./errors.js";

/** The only kafkajs version whose internals this module was written and tested against. */
export const KAFKAJS_PINNED_VERSION = "2.2.4";

// ---- minimal declarations of the kafkajs internals Berth uses ---------------------------

export interface KjsLogger {
  namespace(name: string, logLevel?: number): KjsLogger;
  info(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
}

/** kafkajs/src/broker: one connection-pooled broker. */
export interface KjsBroker {
  readonly nodeId: number | string | null;
  /** ApiVersions of the broker, by api key (filled once connected). */
  readonly versions: Record<number, { minVersion: number; maxVersion: number }> | null;
  /** kafkajs/src/network/connectionPool: frames a request, matches its response. */
  readonly connectionPool: { send(protocolRequest: KjsProtocolRequest): Promise<unknown> };
  addPartitionsToTxn(request: {
    transactionalId: string;
    producerId: string;
    producerEpoch: number;
    topics: { topic: string; partitions: number[] }[];
  }): Promise<unknown>;
  endTxn(request: {
    transactionalId: string;
    producerId: string;
    producerEpoch: number;
    transactionResult: boolean;
  }): Promise<unknown>;
  /** OffsetCommit; generation -1 and an empty member id commit for a group without members. */
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    retentionTime?: number;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[] }>;
  fetch(request: {
    replicaId: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<KjsFetchResponse>;
}

/** A request as kafkajs's connection sends it: header v1 (api key, version, correlation id, client id), then `encode()`. */
export interface KjsProtocolRequest {
  request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<unknown> };
  response: { decode(payload: Buffer): Promise<unknown>; parse(decoded: never): Promise<unknown> };
}

export interface KjsFetchResponse {
  responses: { topicName: string; partitions: KjsFetchPartition[] }[];
}

export interface KjsFetchPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  lastStableOffset: string;
  abortedTransactions: { producerId: string; firstOffset: string }[];
  /**
   * `nextBatchOffset` (set by Berth's patch of kafkajs's decoder, patches/kafkajs@2.2.4.patch):
   * the offset after the last whole record batch, batches that compaction left empty included.
   */
  messages: KjsFetchedRecord[] & { readonly nextBatchOffset?: string };
}

/** A record as decoded by kafkajs/src/protocol/recordBatch (batch attributes attached). */
export interface KjsFetchedRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Epoch milliseconds as a decimal string (create or log-append time). */
  timestamp?: string;
  headers?: Record<string, Buffer | Buffer[]>;
  isControlRecord: boolean;
  batchContext: {
    firstOffset: string;
    lastOffsetDelta: number;
    producerId: string;
    producerEpoch: number;
    inTransaction: boolean;
    isControlBatch: boolean;
  };
}

/** kafkajs/src/cluster: metadata, broker pool and coordinator lookup. */
export interface KjsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  refreshMetadata(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findGroupCoordinator(request: { groupId: string; coordinatorType: number }): Promise<KjsBroker>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(request: { nodeId: string }): Promise<KjsBroker>;
  getNodeIds(): (number | string)[];
}

/** The per-producer transaction manager of kafkajs/src/producer/eosManager. */
export interface KjsEosManager {
  getProducerId(): string | number;
  getProducerEpoch(): number;
  getTransactionalId(): string;
  initProducerId(): Promise<void>;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
  beginTransaction(): void;
  addPartitionsToTransaction(
    topicData: { topic: string; partitions: { partition: number }[] }[],
  ): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isInitialized(): boolean;
  isTransactional(): boolean;
  isInTransaction(): boolean;
  acquireBrokerLock(broker: KjsBroker): Promise<void>;
  releaseBrokerLock(broker: KjsBroker): void;
}

export type KjsCreateEosManager = (options: {
  logger: KjsLogger;
  cluster: KjsCluster;
  transactionTimeout?: number;
  transactional: boolean;
  transactionalId?: string;
}) => KjsEosManager;

/** What kafkajs's `sendBatch` resolves to: one entry per topic-partition written. */
export interface KjsRecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  baseOffset?: string;
}

export interface KjsTopicMessages {
  topic: string;
  messages: {
    key?: Buffer | string | null;
    value: Buffer | string | null;
    partition?: number;
    headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
    timestamp?: string;
  }[];
}

export type KjsCreateMessageProducer = (options: {
  logger: KjsLogger;
  cluster: KjsCluster;
  partitioner: unknown;
  eosManager: KjsEosManager;
  idempotent: boolean;
  retrier: unknown;
  getConnectionStatus: () => string;
}) => {
  sendBatch(batch: {
    acks?: number;
    timeout?: number;
    compression?: number;
    topicMessages: KjsTopicMessages[];
  }): Promise<KjsRecordMetadata[]>;
};

export type KjsCreateCluster = (options: {
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
  maxInFlightRequests?: number | null;
  instrumentationEmitter?: unknown;
  isolationLevel?: number;
}) => KjsCluster;

export interface KafkajsInternals {
  readonly version: string;
  readonly createEosManager: KjsCreateEosManager;
  readonly createMessageProducer: KjsCreateMessageProducer;
  readonly createRetry: (options: unknown) => unknown;
  readonly defaultPartitioner: () => unknown;
  readonly connectionStatus: { CONNECTED: string; DISCONNECTING: string; DISCONNECTED: string };
  readonly coordinatorTypes: { GROUP: number; TRANSACTION: number };
  readonly isolationLevel: { READ_UNCOMMITTED: number; READ_COMMITTED: number };
  /** Wraps raw request body bytes the way kafkajs's request framing expects (an Encoder). */
  wrapBody(body: Buffer): unknown;
  /** A new cluster (own broker pool and connections) configured like `kafka`'s producers. */
  createCluster(kafka: Kafka): KjsCluster;
  loggerOf(kafka: Kafka): KjsLogger;
  /** The `retry` option the `Kafka` client was built with (kafkajs hands it to its producers). */
  retryOptionsOf(kafka: Kafka): object;
}

/** Module paths inside the kafkajs package that Berth loads. The version guard test lists them. */
export const KAFKAJS_INTERNAL_MODULES = {
  packageJson: "kafkajs/package.json",
  eosManager: "kafkajs/src/producer/eosManager/index.js",
  messageProducer: "kafkajs/src/producer/messageProducer.js",
  partitioners: "kafkajs/src/producer/partitioners/index.js",
  retry: "kafkajs/src/retry/index.js",
  connectionStatus: "kafkajs/src/network/connectionStatus.js",
  coordinatorTypes: "kafkajs/src/protocol/coordinatorTypes.js",
  isolationLevel: "kafkajs/src/protocol/isolationLevel.js",
  encoder: "kafkajs/src/protocol/encoder.js",
  connectionPool: "kafkajs/src/network/connectionPool.js",
  cluster: "kafkajs/src/cluster/index.js",
  broker: "kafkajs/src/broker/index.js",
  client: "kafkajs/src/index.js",
} as const;

/** The description of kafkajs's private `Symbol` on a `Kafka` client that builds clusters. */
const CREATE_CLUSTER_SYMBOL = "private:Kafka:createCluster";
/** The description of kafkajs's private `Symbol` holding the client's `retry` option. */
const CLUSTER_RETRY_SYMBOL = "private:Kafka:clusterRetry";

/** Methods of the eosManager object that Berth calls or that kafkajs's send path calls. */
export const EOS_MANAGER_METHODS = [
  "getProducerId",
  "getProducerEpoch",
  "getTransactionalId",
  "initProducerId",
  "getSequence",
  "updateSequence",
  "beginTransaction",
  "addPartitionsToTransaction",
  "commit",
  "abort",
  "isInitialized",
  "isTransactional",
  "isInTransaction",
  "acquireBrokerLock",
  "releaseBrokerLock",
] as const;

export const CLUSTER_METHODS = [
  "connect",
  "disconnect",
  "isConnected",
  "refreshMetadata",
  "addTargetTopic",
  "findGroupCoordinator",
  "findLeaderForPartitions",
  "findBroker",
  "getNodeIds",
] as const;

export const BROKER_METHODS = [
  "addPartitionsToTxn",
  "endTxn",
  "fetch",
  "initProducerId",
  "offsetCommit",
] as const;

const require = createRequire(import.meta.url);

let loaded: KafkajsInternals | undefined;

/**
 * Loads and checks the kafkajs internals once per process. Throws a
 * {@link KafkaInternalsError} (`KAFKAJS_INTERNALS_MISMATCH`) when the installed kafkajs is
 * not the pinned version or an internal Berth relies on has changed shape.
 */
export function kafkajsInternals(): KafkajsInternals {
  if (loaded) return loaded;
  const problems = checkKafkajsInternals();
  if (problems.length > 0) {
    throw new KafkaInternalsError(
      "KAFKAJS_INTERNALS_MISMATCH",
      `@berth/sink-kafka needs kafkajs ${KAFKAJS_PINNED_VERSION} exactly (it drives kafkajs internals to resume ` +
        `pre-committed transactions): ${problems.join("; ")}. Install kafkajs@${KAFKAJS_PINNED_VERSION}.`,
    );
  }
  loaded = load();
  return loaded;
}

/** Every way the installed kafkajs differs from what Berth relies on; empty when it fits. */
export function checkKafkajsInternals(): string[] {
  const problems: string[] = [];
  const tryRequire = (path: string): unknown => {
    try {
      return require(path);
    } catch (error) {
      problems.push(`cannot load ${path} (${(error as Error).message.split("\n")[0]})`);
      return undefined;
    }
  };
  const pkg = tryRequire(KAFKAJS_INTERNAL_MODULES.packageJson) as { version?: unknown } | undefined;
  if (pkg && pkg.version !== KAFKAJS_PINNED_VERSION) {
    problems.push(`installed kafkajs is ${String(pkg.version)}`);
  }
  const fn = (path: string, name: string, value: unknown): void => {
    if (typeof value !== "function") problems.push(`${path}: ${name} is not a function`);
  };
  const eos = tryRequire(KAFKAJS_INTERNAL_MODULES.eosManager);
  if (eos !== undefined) fn(KAFKAJS_INTERNAL_MODULES.eosManager, "module export", eos);
  const mp = tryRequire(KAFKAJS_INTERNAL_MODULES.messageProducer);
  if (mp !== undefined) fn(KAFKAJS_INTERNAL_MODULES.messageProducer, "module export", mp);
  const retry = tryRequire(KAFKAJS_INTERNAL_MODULES.retry);
  if (retry !== undefined) fn(KAFKAJS_INTERNAL_MODULES.retry, "module export", retry);
  const partitioners = tryRequire(KAFKAJS_INTERNAL_MODULES.partitioners) as
    | Record<string, unknown>
    | undefined;
  if (partitioners)
    fn(KAFKAJS_INTERNAL_MODULES.partitioners, "DefaultPartitioner", partitioners.DefaultPartitioner);
  const status = tryRequire(KAFKAJS_INTERNAL_MODULES.connectionStatus) as
    | { CONNECTION_STATUS?: Record<string, unknown> }
    | undefined;
  if (status && status.CONNECTION_STATUS?.CONNECTED !== "connected") {
    problems.push(`${KAFKAJS_INTERNAL_MODULES.connectionStatus}: CONNECTION_STATUS.CONNECTED changed`);
  }
  const coord = tryRequire(KAFKAJS_INTERNAL_MODULES.coordinatorTypes) as Record<string, unknown> | undefined;
  if (coord && (coord.TRANSACTION !== 1 || coord.GROUP !== 0)) {
    problems.push(`${KAFKAJS_INTERNAL_MODULES.coordinatorTypes}: GROUP is not 0 or TRANSACTION is not 1`);
  }
  const iso = tryRequire(KAFKAJS_INTERNAL_MODULES.isolationLevel) as Record<string, unknown> | undefined;
  if (iso && (iso.READ_UNCOMMITTED !== 0 || iso.READ_COMMITTED !== 1)) {
    problems.push(`${KAFKAJS_INTERNAL_MODULES.isolationLevel}: isolation levels changed`);
  }
  const protoMethods = (path: string, names: readonly string[]): void => {
    const cls = tryRequire(path) as { prototype?: Record<string, unknown> } | undefined;
    if (!cls) return;
    for (const name of names) fn(path, `prototype.${name}`, cls.prototype?.[name]);
  };
  protoMethods(KAFKAJS_INTERNAL_MODULES.cluster, CLUSTER_METHODS);
  protoMethods(KAFKAJS_INTERNAL_MODULES.encoder, ["writeBuffer"]);
  protoMethods(KAFKAJS_INTERNAL_MODULES.connectionPool, ["send"]);
  protoMethods(KAFKAJS_INTERNAL_MODULES.broker, BROKER_METHODS);
  const client = tryRequire(KAFKAJS_INTERNAL_MODULES.client) as (new (config: object) => object) | undefined;
  if (typeof client === "function") {
    const probe = new client({ brokers: ["127.0.0.1:1"], logLevel: 0 });
    if (!findSymbol(probe, CREATE_CLUSTER_SYMBOL)) {
      problems.push(`${KAFKAJS_INTERNAL_MODULES.client}: Kafka has no ${CREATE_CLUSTER_SYMBOL} symbol`);
    }
    if (!findSymbol(probe, CLUSTER_RETRY_SYMBOL)) {
      problems.push(`${KAFKAJS_INTERNAL_MODULES.client}: Kafka has no ${CLUSTER_RETRY_SYMBOL} symbol`);
    }
  }
  if (typeof eos === "function" && problems.length === 0) {
    // Build an eosManager against a stub cluster (no I/O happens at construction).
    const noop = () => {};
    const logger = { namespace: () => logger, info: noop, warn: noop, error: noop, debug: noop };
    const manager = (eos as KjsCreateEosManager)({
      logger,
      cluster: {} as unknown as KjsCluster,
      transactional: true,
      transactionalId: "berth-guard",
    }) as unknown as Record<string, unknown>;
    for (const name of EOS_MANAGER_METHODS)
      fn(KAFKAJS_INTERNAL_MODULES.eosManager, `manager.${name}`, manager[name]);
  }
  return problems;
}

function findSymbol(object: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(object).find((s) => s.description === description);
}

function load(): KafkajsInternals {
  const m = KAFKAJS_INTERNAL_MODULES;
  const partitioners = require(m.partitioners) as { DefaultPartitioner: () => unknown };
  return {
    version: (require(m.packageJson) as { version: string }).version,
    createEosManager: require(m.eosManager) as KjsCreateEosManager,
    createMessageProducer: require(m.messageProducer) as KjsCreateMessageProducer,
    createRetry: require(m.retry) as (options: unknown) => unknown,
    defaultPartitioner: partitioners.DefaultPartitioner,
    connectionStatus: (
      require(m.connectionStatus) as { CONNECTION_STATUS: KafkajsInternals["connectionStatus"] }
    ).CONNECTION_STATUS,
    coordinatorTypes: require(m.coordinatorTypes) as KafkajsInternals["coordinatorTypes"],
    isolationLevel: require(m.isolationLevel) as KafkajsInternals["isolationLevel"],
    wrapBody(body) {
      const Encoder = require(m.encoder) as new () => { writeBuffer(b: Buffer): unknown };
      return new Encoder().writeBuffer(body);
    },
    createCluster(kafka) {
      const symbol = findSymbol(kafka, CREATE_CLUSTER_SYMBOL);
      if (!symbol) {
        throw new KafkaInternalsError(
          "KAFKAJS_INTERNALS_MISMATCH",
          `the Kafka client given has no ${CREATE_CLUSTER_SYMBOL}; pass a Kafka instance from kafkajs@${KAFKAJS_PINNED_VERSION}.`,
        );
      }
      const create = (kafka as unknown as Record<symbol, KjsCreateCluster | undefined>)[symbol];
      if (typeof create !== "function") {
        throw new KafkaInternalsError(
          "KAFKAJS_INTERNALS_MISMATCH",
          `${CREATE_CLUSTER_SYMBOL} is not a function`,
        );
      }
      // kafkajs's producer defaults, except that writing never creates a missing topic.
      return create({ metadataMaxAge: 300_000, allowAutoTopicCreation: false, maxInFlightRequests: null });
    },
    loggerOf(kafka) {
      return kafka.logger() as unknown as KjsLogger;
    },
    retryOptionsOf(kafka) {
      const symbol = findSymbol(kafka, CLUSTER_RETRY_SYMBOL);
      const retry = symbol ? (kafka as unknown as Record<symbol, unknown>)[symbol] : undefined;
      return typeof retry === "object" && retry !== null ? retry : {};
    },
  };
}
