import { describe, expect, it } from "vitest";
import { KafkaError } from "../errors.js";
import { resolveKafkaSourceOptions } from "./kafka-source-options.js";

const base = { brokers: "127.0.0.1:9092", topics: "t" };

describe("kafka source options", () => {
  it("fills the documented defaults", () => {
    expect(resolveKafkaSourceOptions(base)).toMatchObject({
      brokers: ["127.0.0.1:9092"],
      topics: ["t"],
      startingOffsets: "earliest",
      bounded: false,
      offsetOutOfRange: "fail",
      maxWaitMs: 500,
      maxBytesPerPartition: 1024 * 1024,
      maxRecordsPerPoll: 2000,
      fetchFailureTimeoutMs: 60_000,
      partitionDiscoveryIntervalMs: 300_000,
      commitOffsets: true,
      groupId: undefined,
    });
    expect(resolveKafkaSourceOptions({ ...base, topics: ["a", "b", "a"] }).topics).toEqual(["a", "b"]);
  });

  it.each([
    [{ topics: [] }, "kafka source: `topics` must name at least one topic"],
    [{ topics: ["ok", "not ok"] }, "kafka source: `topics` must be Kafka topic names"],
    [
      { startingOffsets: "newest" },
      'kafka source: `startingOffsets` must be one of "earliest", "latest" (got "newest")',
    ],
    [{ maxWaitMs: 5_000 }, "kafka source: `maxWaitMs` must be ≤ 1000 (got 5000)"],
    [{ deserializer: "json" }, "kafka source: `deserializer` must be a function"],
    [{ topic: "t" }, "kafka source: unknown option(s) `topic`"],
    [{ groupId: "" }, "kafka source: `groupId`"],
    [
      { partitionDiscoveryIntervalMs: -1 },
      "kafka source: `partitionDiscoveryIntervalMs` must be ≥ 0 (got -1)",
    ],
  ])("rejects %o with a typed error naming the option", (override, message) => {
    const attempt = () => resolveKafkaSourceOptions({ ...base, ...(override as object) } as never);
    expect(attempt).toThrow(KafkaError);
    expect(attempt).toThrow(message);
  });
});
