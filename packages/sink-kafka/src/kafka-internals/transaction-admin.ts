/**
 * DescribeTransactions (API 65, v0) and ListTransactions (API 66, v0), Kafka >= 3.0 — which
 * kafkajs 2.2.4 does not know. Both are "flexible" APIs: their request header (v2) ends with
 * a tagged-field section that kafkajs's header (v1) lacks, and their response header (v1)
 * starts with one. Since kafkajs writes the request body right after the client id, a body
 * that begins with an empty tagged-field section (one 0 byte) makes the header a valid v2;
 * the response decoder skips the response header's section. Encoding is done here with
 * plain Buffers; only kafkajs's connection pool (framing, correlation ids, SASL) is used.
 */
import { KafkaInternalsError } from "./errors.js";
import type { KafkajsInternals, KjsBroker, KjsCluster } from "./kafkajs-internals.js";

const DESCRIBE_TRANSACTIONS = 65;
const LIST_TRANSACTIONS = 66;

/** Coordinator-side state names (TransactionState in the broker). */
export type TransactionState =
  | "Empty"
  | "Ongoing"
  | "PrepareCommit"
  | "PrepareAbort"
  | "CompleteCommit"
  | "CompleteAbort"
  | "PrepareEpochFence"
  | "Dead"
  | (string & {});

export interface TransactionDescription {
  readonly transactionalId: string;
  /** 0 when described; otherwise the error code (e.g. 105 TRANSACTIONAL_ID_NOT_FOUND). */
  readonly errorCode: number;
  readonly state: TransactionState;
  readonly timeoutMs: number;
  readonly startTimeMs: string;
  readonly producerId: string;
  readonly producerEpoch: number;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

export interface TransactionListing {
  readonly transactionalId: string;
  readonly producerId: string;
  readonly state: TransactionState;
}

/** Whether the broker answers `apiKey` at version 0 (from kafkajs's ApiVersions cache). */
function supports(broker: KjsBroker, apiKey: number): boolean {
  const v = broker.versions?.[apiKey];
  return v !== undefined && v.minVersion <= 0 && v.maxVersion >= 0;
}

export async function describeTransaction(
  internals: KafkajsInternals,
  cluster: KjsCluster,
  transactionalId: string,
): Promise<TransactionDescription> {
  const coordinator = await cluster.findGroupCoordinator({
    groupId: transactionalId,
    coordinatorType: internals.coordinatorTypes.TRANSACTION,
  });
  if (!supports(coordinator, DESCRIBE_TRANSACTIONS)) {
    throw new KafkaInternalsError(
      "BROKER_UNSUPPORTED",
      "the broker does not support DescribeTransactions (Kafka >= 3.0 needed); upgrade the brokers",
    );
  }
  const body = new CompactWriter()
    .taggedFields() // completes the request header (v2)
    .compactArray([transactionalId], (w, id) => w.compactString(id))
    .taggedFields();
  const decoded = await send(
    internals,
    coordinator,
    DESCRIBE_TRANSACTIONS,
    "DescribeTransactions",
    body,
    (r) => {
      r.int32(); // throttle_time_ms
      const states = r.compactArray(() => {
        const errorCode = r.int16();
        const id = r.compactString() ?? "";
        const state = r.compactString() ?? "";
        const timeoutMs = r.int32();
        const startTimeMs = r.int64().toString();
        const producerId = r.int64().toString();
        const producerEpoch = r.int16();
        const topics = r.compactArray(() => {
          const topic = r.compactString() ?? "";
          const partitions = r.compactArray(() => r.int32());
          r.skipTaggedFields();
          return { topic, partitions };
        });
        r.skipTaggedFields();
        return {
          transactionalId: id,
          errorCode,
          state,
          timeoutMs,
          startTimeMs,
          producerId,
          producerEpoch,
          topics,
        };
      });
      r.skipTaggedFields();
      return states;
    },
  );
  const found = decoded.find((d) => d.transactionalId === transactionalId);
  if (!found)
    throw new KafkaInternalsError(
      "BROKER_ANSWER_INVALID",
      `DescribeTransactions answered without ${transactionalId}`,
    );
  return found;
}

/** Transactions every broker coordinates, optionally only those in `states`. */
export async function listTransactions(
  internals: KafkajsInternals,
  cluster: KjsCluster,
  states: readonly TransactionState[] = [],
): Promise<TransactionListing[]> {
  await cluster.refreshMetadata();
  const all: TransactionListing[] = [];
  for (const nodeId of cluster.getNodeIds()) {
    const broker = await cluster.findBroker({ nodeId: String(nodeId) });
    if (!supports(broker, LIST_TRANSACTIONS)) {
      throw new KafkaInternalsError(
        "BROKER_UNSUPPORTED",
        "the broker does not support ListTransactions (Kafka >= 3.0 needed); upgrade the brokers",
      );
    }
    const body = new CompactWriter()
      .taggedFields() // completes the request header (v2)
      .compactArray(states, (w, s) => w.compactString(s))
      .compactArray([] as bigint[], (w, p) => w.int64(p))
      .taggedFields();
    const listed = await send(internals, broker, LIST_TRANSACTIONS, "ListTransactions", body, (r) => {
      r.int32(); // throttle_time_ms
      const errorCode = r.int16();
      r.compactArray(() => r.compactString()); // unknown_state_filters
      const txs = r.compactArray(() => {
        const transactionalId = r.compactString() ?? "";
        const producerId = r.int64().toString();
        const state = r.compactString() ?? "";
        r.skipTaggedFields();
        return { transactionalId, producerId, state };
      });
      r.skipTaggedFields();
      if (errorCode !== 0)
        throw Object.assign(
          new KafkaInternalsError("BROKER_ANSWER_INVALID", `ListTransactions failed (error ${errorCode})`),
          { errorCode },
        );
      return txs;
    });
    all.push(...listed);
  }
  return all;
}

async function send<T>(
  internals: KafkajsInternals,
  broker: KjsBroker,
  apiKey: number,
  apiName: string,
  body: CompactWriter,
  read: (reader: CompactReader) => T,
): Promise<T> {
  return (await broker.connectionPool.send({
    request: { apiKey, apiVersion: 0, apiName, encode: async () => internals.wrapBody(body.toBuffer()) },
    response: {
      decode: async (payload: Buffer) => {
        const reader = new CompactReader(payload);
        reader.skipTaggedFields(); // response header v1
        return read(reader);
      },
      parse: async (data: T) => data,
    },
  })) as T;
}

class CompactWriter {
  readonly #chunks: Buffer[] = [];

  uvarint(value: number): this {
    const bytes: number[] = [];
    let v = value >>> 0;
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
    this.#chunks.push(Buffer.from(bytes));
    return this;
  }

  int64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.#chunks.push(b);
    return this;
  }

  compactString(value: string): this {
    const bytes = Buffer.from(value, "utf8");
    this.uvarint(bytes.length + 1);
    this.#chunks.push(bytes);
    return this;
  }

  compactArray<T>(items: readonly T[], write: (w: this, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) write(this, item);
    return this;
  }

  taggedFields(): this {
    return this.uvarint(0);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

class CompactReader {
  #offset = 0;
  constructor(readonly buffer: Buffer) {}

  int16(): number {
    const v = this.buffer.readInt16BE(this.#offset);
    this.#offset += 2;
    return v;
  }

  int32(): number {
    const v = this.buffer.readInt32BE(this.#offset);
    this.#offset += 4;
    return v;
  }

  int64(): bigint {
    const v = this.buffer.readBigInt64BE(this.#offset);
    this.#offset += 8;
    return v;
  }

  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.buffer.readUInt8(this.#offset++);
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }

  compactString(): string | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    const v = this.buffer.toString("utf8", this.#offset, this.#offset + length);
    this.#offset += length;
    return v;
  }

  compactArray<T>(read: () => T): T[] {
    const length = this.uvarint() - 1;
    const out: T[] = [];
    for (let i = 0; i < length; i++) out.push(read());
    return out;
  }

  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.#offset += this.uvarint(); // size, then skip the value
    }
  }
}
