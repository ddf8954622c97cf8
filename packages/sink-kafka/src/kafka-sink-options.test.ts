import { describe, expect, it } from "vitest";
import { KafkaError } from "./errors.js";
import { kafkaCommittableCodec, parseKafkaCommittable } from "./kafka-committable.js";
import { KAFKA_SINK_DEFAULTS, resolveKafkaSinkOptions } from "./kafka-sink-options.js";
import { checkTransactionTimeout } from "./kafka-sink-validation.js";
import { recordSerializer } from "./record-serializer.js";

const base = { brokers: "127.0.0.1:9092", topic: "t" };

describe("kafka sink options", () => {
  it("fills the documented defaults", () => {
    const o = resolveKafkaSinkOptions<{ seq: number }>(base);
    expect(o).toMatchObject({
      brokers: ["127.0.0.1:9092"],
      deliveryGuarantee: KAFKA_SINK_DEFAULTS.deliveryGuarantee,
      transactionTimeoutMs: 900_000,
      recoveryWindowMs: 60_000,
      poolSize: 5,
      maxPoolSize: 16,
      batchRecords: 1000,
      maxInFlightBatches: 3,
      maxRecordBytes: 1_000_000,
      compression: 0,
    });
    expect(o.value({ seq: 1 })).toBe('{"seq":1}');
  });

  it("lets the pool grow to at least poolSize when maxPoolSize is not given", () => {
    expect(resolveKafkaSinkOptions({ ...base, poolSize: 20 }).maxPoolSize).toBe(20);
    expect(resolveKafkaSinkOptions({ ...base, poolSize: 1 }).maxPoolSize).toBe(16);
  });

  it.each([
    [{ brokers: "" }, "kafka sink: `brokers` must name at least one broker"],
    [{ brokers: ["localhost"] }, 'kafka sink: `brokers` lists "localhost", which is not host:port'],
    [{ topic: "bad topic" }, "kafka sink: `topic` must be a Kafka topic name"],
    [{ topic: 42 }, "kafka sink: `topic` must be a string or a function (got 42)"],
    [{ poolSize: 0 }, "kafka sink: `poolSize` must be ≥ 1 (got 0)"],
    [{ maxPoolSize: 1 }, "kafka sink: `maxPoolSize` must be ≥ 2 (got 1)"],
    [{ poolSize: 8, maxPoolSize: 6 }, "kafka sink: `maxPoolSize` must be at least `poolSize` (got 6)"],
    [{ transactionTimeoutMs: 1.5 }, "kafka sink: `transactionTimeoutMs` must be an integer (got 1.5)"],
    [
      { deliveryGuarantee: "exactly-twice" },
      'kafka sink: `deliveryGuarantee` must be one of "exactly-once", "at-least-once" (got "exactly-twice")',
    ],
    [
      { compression: "brotli" },
      'kafka sink: `compression` must be one of "none", "gzip", "snappy", "lz4", "zstd" (got "brotli")',
    ],
    [{ compression: "zstd" }, 'kafka sink: `compression` needs a codec for "zstd"'],
    [{ key: "seq" }, "kafka sink: `key` must be a function"],
    [{ poolsize: 3 }, "kafka sink: unknown option(s) `poolsize`"],
  ])("rejects %o with a typed error", (override, message) => {
    const attempt = () => resolveKafkaSinkOptions({ ...base, ...(override as object) } as never);
    expect(attempt).toThrow(KafkaError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as KafkaError).code).toBe("KAFKA_CONFIG_INVALID");
    }
  });
});

describe("transaction timeout check", () => {
  it("needs checkpoint interval + recovery window, at most the brokers' maximum", () => {
    expect(() => checkTransactionTimeout(65_000, 60_000, 5_000, 900_000)).not.toThrow();
    expect(() => checkTransactionTimeout(64_999, 60_000, 5_000, 900_000)).toThrow(/at least 65000/);
    expect(() => checkTransactionTimeout(900_001, 60_000, 5_000, 900_000)).toThrow(/exceeds the brokers'/);
    expect(() => checkTransactionTimeout(2_000_000, 60_000, 5_000, undefined)).not.toThrow();
  });
});

describe("record serializer", () => {
  const serialize = recordSerializer(
    resolveKafkaSinkOptions<{ seq: number; topic?: string }>({
      ...base,
      topic: (r) => r.topic ?? "t",
      key: (r) => String(r.seq),
      headers: (r) => ({ origin: "test", seq: String(r.seq) }),
      timestamp: (r) => 1_700_000_000_000 + r.seq,
      maxRecordBytes: 64,
    }),
  );

  it("builds the message and counts its bytes", () => {
    expect(serialize({ seq: 7, topic: "other" })).toEqual({
      topic: "other",
      message: {
        key: "7",
        value: '{"seq":7,"topic":"other"}',
        headers: { origin: "test", seq: "7" },
        timestamp: "1700000000007",
      },
      bytes: 1 + 25 + "origin".length + 4 + 3 + 1,
    });
  });

  it("refuses records larger than maxRecordBytes, and bad serializer results", () => {
    expect(() => serialize({ seq: 1, topic: "x".repeat(100) })).toThrow(/exceeds maxRecordBytes 64/);
    expect(() => serialize({ seq: 1, topic: "" })).toThrow(/topic serializer returned "", not a topic name/);
    const bad = recordSerializer(
      resolveKafkaSinkOptions<{ seq: number }>({ ...base, value: () => 5 as never }),
    );
    expect(() => bad({ seq: 1 })).toThrow(/value serializer returned number/);
  });
});

describe("kafka committable", () => {
  const committable = {
    transactionalId: "p-0-1",
    producerId: "9007199254740993",
    producerEpoch: 3,
    anchor: { topic: "t", partition: 2, offset: "17" },
    attemptId: "a1b2",
    records: 10,
  };

  it("round-trips version 1, 64-bit producer ids as strings", () => {
    expect(parseKafkaCommittable(JSON.parse(JSON.stringify(committable)))).toEqual(committable);
    expect(kafkaCommittableCodec.parse(1, committable)).toEqual(committable);
  });

  it("refuses a committable without anchor or of an unknown version", () => {
    const { anchor: _, ...bare } = committable;
    expect(() => parseKafkaCommittable(bare)).toThrow(/has no anchor/);
    expect(() => kafkaCommittableCodec.parse(2, committable)).toThrow(/version 2/);
    expect(() => parseKafkaCommittable({ ...committable, producerId: 5 })).toThrow(KafkaError);
  });
});
