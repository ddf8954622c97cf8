/**
 * Turns a record into a Kafka message with the sink's serializers, and checks it: a
 * serializer that throws or returns something Kafka cannot carry, or a record larger than
 * `maxRecordBytes`, is a bad record: a {@link KafkaRecordRejectedError} naming the record, thrown
 * before anything of it is sent, so the writer goes on with the next record when the job's
 * `badRecords` policy skips or dead-letters it.
 */
import { previewRecord as preview } from "@berth/core/connector";
import type { IHeaders } from "kafkajs";
import { KafkaRecordRejectedError, messageOf } from "./errors.js";
import type { ResolvedKafkaSinkOptions } from "./kafka-sink-options.js";

export interface SerializedRecord {
  readonly topic: string;
  readonly message: {
    key: Buffer | string | null;
    value: Buffer | string | null;
    headers?: IHeaders;
    timestamp?: string;
  };
  /** Key + value + header bytes. */
  readonly bytes: number;
}

function size(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "string" ? Buffer.byteLength(value) : value.length;
}

function isPayload(value: unknown): value is Buffer | string | null {
  return value === null || typeof value === "string" || Buffer.isBuffer(value);
}

export function recordSerializer<T>(options: ResolvedKafkaSinkOptions<T>): (record: T) => SerializedRecord {
  const { topic, key, value, headers, timestamp, maxRecordBytes } = options;
  const invalid = (what: string, record: T, detail: string, cause?: unknown): never => {
    throw new KafkaRecordRejectedError(
      "KAFKA_RECORD_INVALID",
      `kafka sink: the ${what} serializer ${detail} for record ${preview(record)}; fix the serializer or filter such records out before the sink`,
      cause === undefined ? undefined : { cause },
    );
  };
  const call = <R>(what: string, fn: (record: T) => R, record: T): R => {
    try {
      return fn(record);
    } catch (error) {
      return invalid(what, record, `threw (${messageOf(error)})`, error);
    }
  };
  return (record: T): SerializedRecord => {
    const t = typeof topic === "string" ? topic : call("topic", topic, record);
    if (typeof t !== "string" || t.length === 0)
      invalid("topic", record, `returned ${preview(t)}, not a topic name`);
    const v = call("value", value, record);
    if (!isPayload(v)) invalid("value", record, `returned ${typeof v}, not a string, Buffer or null`);
    const k = key ? call("key", key, record) : null;
    if (k !== undefined && !isPayload(k))
      invalid("key", record, `returned ${typeof k}, not a string, Buffer or null`);
    let bytes = size(v) + size(k);
    const message: SerializedRecord["message"] = { key: k ?? null, value: v };
    if (headers) {
      const h = call("headers", headers, record);
      if (h !== undefined) {
        if (typeof h !== "object" || h === null) invalid("headers", record, "returned no object");
        for (const [name, header] of Object.entries(h)) {
          bytes += Buffer.byteLength(name);
          for (const part of Array.isArray(header) ? header : [header]) {
            if (part !== undefined && !isPayload(part)) {
              invalid("headers", record, `returned header ${name} of type ${typeof part}`);
            }
            bytes += size(part);
          }
        }
        message.headers = h;
      }
    }
    if (timestamp) {
      const ts = call("timestamp", timestamp, record);
      if (ts !== undefined) {
        if (!Number.isFinite(ts) || ts < 0)
          invalid("timestamp", record, `returned ${String(ts)}, not epoch milliseconds`);
        message.timestamp = String(Math.trunc(ts));
      }
    }
    if (bytes > maxRecordBytes) {
      throw new KafkaRecordRejectedError(
        "KAFKA_RECORD_TOO_LARGE",
        `kafka sink: a record of ${bytes} bytes (key + value + headers) exceeds maxRecordBytes ${maxRecordBytes}: ${preview(record)}. Raise maxRecordBytes together with the topic's max.message.bytes, or split or filter such records before the sink`,
      );
    }
    return { topic: t, message, bytes };
  };
}
