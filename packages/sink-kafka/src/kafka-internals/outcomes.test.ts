import { describe, expect, it } from "vitest";
import { KafkaInternalsError } from "./errors.js";
import { classifyEndTxnError } from "./outcomes.js";
import { parsePreparedTransaction } from "./prepared-transaction.js";

const protocolError = (type: string, code: number) =>
  Object.assign(new Error(type), { name: "KafkaJSProtocolError", type, code, retriable: false });

describe("classifyEndTxnError", () => {
  it.each([
    [protocolError("INVALID_PRODUCER_EPOCH", 47), "fenced"],
    [
      Object.assign(new Error("fenced"), { name: "KafkaJSProtocolError", type: "UNKNOWN", code: 90 }),
      "fenced",
    ],
    [protocolError("INVALID_PRODUCER_ID_MAPPING", 49), "producerIdChanged"],
    [protocolError("INVALID_TXN_STATE", 48), "invalidState"],
    [protocolError("CONCURRENT_TRANSACTIONS", 51), "retryLater"],
    [protocolError("NOT_COORDINATOR_FOR_GROUP", 16), "retryLater"],
    [protocolError("GROUP_COORDINATOR_NOT_AVAILABLE", 15), "retryLater"],
    [protocolError("GROUP_LOAD_IN_PROGRESS", 14), "retryLater"],
    [Object.assign(new Error("closed"), { name: "KafkaJSConnectionClosedError" }), "retryLater"],
    [Object.assign(new Error("timeout"), { name: "KafkaJSRequestTimeoutError" }), "retryLater"],
    [Object.assign(new Error("refused"), { code: "ECONNREFUSED" }), "retryLater"],
    [protocolError("TRANSACTIONAL_ID_AUTHORIZATION_FAILED", 53), "unknown"],
    [new TypeError("bug"), "unknown"],
  ])("%s -> %s", (error, kind) => {
    expect(classifyEndTxnError(error).kind).toBe(kind);
  });

  it("looks through KafkaJSNumberOfRetriesExceeded to the last attempt's error", () => {
    const wrapped = Object.assign(new Error("retries exceeded"), {
      name: "KafkaJSNumberOfRetriesExceeded",
      cause: protocolError("INVALID_PRODUCER_EPOCH", 47),
    });
    expect(classifyEndTxnError(wrapped)).toEqual({ kind: "fenced", type: "INVALID_PRODUCER_EPOCH" });
    const network = Object.assign(new Error("retries exceeded"), {
      name: "KafkaJSNumberOfRetriesExceeded",
      cause: Object.assign(new Error("Connection error"), { name: "KafkaJSConnectionError" }),
    });
    expect(classifyEndTxnError(network).kind).toBe("retryLater");
  });
});

describe("parsePreparedTransaction", () => {
  const valid = {
    transactionalId: "job-sink-0-1",
    producerId: "9223372036854775807",
    producerEpoch: 3,
    anchor: { topic: "t", partition: 2, offset: "42" },
  };

  it("accepts a prepared transaction with and without anchor", () => {
    expect(parsePreparedTransaction(valid)).toEqual(valid);
    const { anchor: _anchor, ...bare } = valid;
    expect(parsePreparedTransaction(bare)).toEqual(bare);
  });

  it.each([
    [null],
    [{ ...valid, transactionalId: "" }],
    [{ ...valid, producerId: 12 }],
    [{ ...valid, producerId: "9223372036854775808" }],
    [{ ...valid, producerId: "-1" }],
    [{ ...valid, producerEpoch: 40000 }],
    [{ ...valid, producerEpoch: 1.5 }],
    [{ ...valid, anchor: { topic: "t", partition: -1, offset: "1" } }],
    [{ ...valid, anchor: { topic: "t", partition: 0, offset: 1 } }],
  ])("rejects %j with a typed error", (value) => {
    expect(() => parsePreparedTransaction(value)).toThrow(KafkaInternalsError);
    try {
      parsePreparedTransaction(value);
    } catch (error) {
      expect((error as KafkaInternalsError).code).toBe("PREPARED_TRANSACTION_INVALID");
    }
  });
});
