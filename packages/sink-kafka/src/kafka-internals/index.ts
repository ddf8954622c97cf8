/**
 * The kafkajs-internals module of the Kafka sink: the only code that reaches into kafkajs
 * (pinned to 2.2.4). It gives the writer a transactional producer that reports its producer
 * id and epoch and can be left pre-committed, and gives the committer a client that commits
 * or aborts such a transaction from any process, classifying the outcome. Internal to
 * `@berth/sink-kafka`; not re-exported from the package.
 */
export { KafkaInternalsError, type KafkaInternalsErrorCode } from "./errors.js";
export { type GroupOffset, GroupOffsetCommitter } from "./group-offsets.js";
export {
  checkKafkajsInternals,
  KAFKAJS_PINNED_VERSION,
  type KjsTopicMessages as TopicMessages,
} from "./kafkajs-internals.js";
export type { AbortOutcome, CommitOutcome, KnownCommitFailure } from "./outcomes.js";
export {
  type FetchedMessage,
  type FetchPosition,
  type FetchResult,
  type PartitionFetch,
  PartitionFetcher,
  type PartitionFetcherOptions,
} from "./partition-fetcher.js";
export {
  describePreparedTransaction,
  type PreparedTransaction,
  parsePreparedTransaction,
  type TransactionAnchor,
} from "./prepared-transaction.js";
export { createTopicsWithLeaders } from "./topic-creation.js";
export type { TransactionDescription, TransactionListing, TransactionState } from "./transaction-admin.js";
export {
  type ProducerIdentity,
  TransactionClient,
  type TransactionClientOptions,
} from "./transaction-client.js";
export type { LoggedOutcome } from "./transaction-log.js";
export {
  TransactionalProducer,
  type TransactionalProducerOptions,
  type TransactionalProducerState,
} from "./transactional-producer.js";
