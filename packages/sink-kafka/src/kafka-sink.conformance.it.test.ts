import { describeSinkConformance } from "@berth/testkit";

// The whole kit against the real broker (KAFKA_BROKERS, default 127.0.0.1:9092); the
// target-restart case restarts a private broker of its own.
// 3 s of input (the kit's default is 1.3 s): a Kafka 4.4 broker's first checkpoints take longer
// than 3.9's, and on a loaded machine the crash cases' lifecycle points were not reached in time.
const RUN = { records: 3_000, ratePerSecond: 1_000 };

describeSinkConformance("kafka sink", {
  factoryModule: new URL("./kafka-sink.conformance.ts", import.meta.url),
  ...RUN,
});

// A pool of one transactional id per subtask (two at most): the writer reuses an id as soon as
// its commit is confirmed, before a checkpoint records it; crashes then leave restored
// committables whose id already carries the next transaction, and checkpoints failing after
// pre-commit exhaust the pool (the job fails over).
describeSinkConformance("kafka sink, pool of one", {
  factoryModule: new URL("./kafka-sink.conformance.ts", import.meta.url),
  factoryExport: "poolOfOne",
  ...RUN,
  only: [
    "bounded",
    "stop",
    "crash-after-checkpoint-complete",
    "crash-mid-commit",
    "crash-while-writing",
    "rescale-down",
    "checkpoints-fail-after-pre-commit",
  ],
});
