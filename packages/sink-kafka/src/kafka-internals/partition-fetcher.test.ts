import { describe, expect, it } from "vitest";
import type { KjsFetchedRecord, KjsFetchPartition } from "./kafkajs-internals.js";
import { committedRecords } from "./partition-fetcher.js";

function record(
  offset: number,
  producerId: string,
  options: { control?: "commit" | "abort"; tx?: boolean } = {},
): KjsFetchedRecord {
  const key = options.control
    ? Buffer.from([0, 0, 0, options.control === "commit" ? 1 : 0])
    : Buffer.from(String(offset));
  return {
    offset: String(offset),
    key,
    value: options.control ? null : Buffer.from(`v${offset}`),
    timestamp: String(1_000 + offset),
    headers: {},
    isControlRecord: options.control !== undefined,
    batchContext: {
      firstOffset: String(offset),
      lastOffsetDelta: 0,
      producerId,
      producerEpoch: 0,
      inTransaction: options.tx ?? true,
      isControlBatch: options.control !== undefined,
    },
  };
}

function partition(
  messages: KjsFetchedRecord[],
  aborted: { producerId: string; firstOffset: string }[] = [],
): KjsFetchPartition {
  return {
    partition: 0,
    errorCode: 0,
    highWatermark: "100",
    lastStableOffset: "100",
    abortedTransactions: aborted,
    messages,
  };
}

describe("committed records of a read_committed fetch", () => {
  it("drops aborted transactions and markers, keeps committed and non-transactional records, moves past all", () => {
    const answer = partition(
      [
        record(0, "1"),
        record(1, "2"), // aborted
        record(2, "1"),
        record(3, "1", { control: "commit" }),
        record(4, "2"), // aborted
        record(5, "2", { control: "abort" }),
        record(6, "3", { tx: false }),
        record(7, "2"), // a later, committed transaction of producer 2
        record(8, "2", { control: "commit" }),
      ],
      [{ producerId: "2", firstOffset: "1" }],
    );
    const result = committedRecords("t", answer, 0n);
    expect(result.messages.map((m) => Number(m.offset))).toEqual([0, 2, 6, 7]);
    expect(result.messages[0]?.timestamp).toBe(1_000);
    expect(result.nextOffset).toBe(9n);
  });

  it("skips records before the fetch offset (a batch may start earlier)", () => {
    const result = committedRecords(
      "t",
      partition([record(3, "1"), record(4, "1"), record(5, "1", { control: "commit" })]),
      4n,
    );
    expect(result.messages.map((m) => m.offset)).toEqual(["4"]);
    expect(result.nextOffset).toBe(6n);
  });

  it("moves past record batches that compaction emptied: to the end of the last whole batch", () => {
    const onlyEmpty = Object.assign([] as KjsFetchedRecord[], { nextBatchOffset: "57" });
    expect(committedRecords("t", partition(onlyEmpty), 40n)).toMatchObject({ messages: [], nextOffset: 57n });
    const emptiedTail = Object.assign([record(40, "1", { tx: false })], { nextBatchOffset: "45" });
    expect(committedRecords("t", partition(emptiedTail), 40n).nextOffset).toBe(45n);
  });

  it("stays put when nothing came back", () => {
    expect(committedRecords("t", partition([]), 42n).nextOffset).toBe(42n);
  });
});
