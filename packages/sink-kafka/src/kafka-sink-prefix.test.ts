import { Pipeline, SinkPrefixError, sequenceSource } from "@berth/core";
import { describe, expect, it } from "vitest";
import { kafkaSink } from "./kafka-sink.js";

describe("kafka sink prefixes", () => {
  it("two Kafka sinks of one job cannot share a prefix, even on two topics: transactional ids are per cluster", () => {
    const p = Pipeline.create({ name: "two-topics" });
    const records = p
      .source(sequenceSource({ count: 1 }), { uid: "seq" })
      .map((seq) => ({ seq }), { uid: "to-json" });
    records.sinkTo(kafkaSink({ brokers: "127.0.0.1:9092", topic: "left" }), {
      uid: "left",
      sinkPrefix: "orders",
    });
    expect(() =>
      records.sinkTo(kafkaSink({ brokers: "127.0.0.1:9092", topic: "right" }), {
        uid: "right",
        sinkPrefix: "orders",
      }),
    ).toThrow(SinkPrefixError);
  });
});
