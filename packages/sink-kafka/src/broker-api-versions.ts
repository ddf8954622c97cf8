/**
 * What a broker says it allows, read over a plain TCP socket with ApiVersions v3 (KIP-511):
 * the version range of every API and the finalized features (`metadata.version`,
 * `transaction.version`, …). Neither kafkajs nor Berth's code is involved, so tests can judge
 * what kafkajs sends against the broker's own answer. Test support; not part of the package API.
 */
import { connect } from "node:net";

const API_VERSIONS = 18;

export interface BrokerApiVersions {
  /** By API key: the versions the broker accepts. */
  readonly ranges: ReadonlyMap<number, { readonly min: number; readonly max: number }>;
  /** Finalized feature levels, e.g. `transaction.version` → 2 (empty on brokers without features). */
  readonly features: ReadonlyMap<string, number>;
}

/** ApiVersions v3 request: header v2 (key, version, correlation id, client id, no tags), then the body. */
function request(correlationId: number): Buffer {
  const clientId = Buffer.from("berth-api-versions");
  const compact = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s) + 1]), Buffer.from(s)]);
  const header = Buffer.alloc(8);
  header.writeInt16BE(API_VERSIONS, 0);
  header.writeInt16BE(3, 2);
  header.writeInt32BE(correlationId, 4);
  const idLength = Buffer.alloc(2);
  idLength.writeInt16BE(clientId.length);
  const message = Buffer.concat([
    header,
    idLength,
    clientId,
    Buffer.from([0]), // header tagged fields
    compact("berth"), // client_software_name
    compact("test"), // client_software_version
    Buffer.from([0]), // body tagged fields
  ]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(message.length);
  return Buffer.concat([size, message]);
}

class Reader {
  #at = 0;
  constructor(private readonly buffer: Buffer) {}
  int16(): number {
    const v = this.buffer.readInt16BE(this.#at);
    this.#at += 2;
    return v;
  }
  int32(): number {
    const v = this.buffer.readInt32BE(this.#at);
    this.#at += 4;
    return v;
  }
  varint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.buffer.readUInt8(this.#at++);
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  }
  compactString(): string {
    const length = this.varint() - 1;
    const s = this.buffer.toString("utf8", this.#at, this.#at + length);
    this.#at += length;
    return s;
  }
  skip(bytes: number): void {
    this.#at += bytes;
  }
  /** Calls `onTag` for each tagged field (it must consume exactly the field's bytes); skips the rest. */
  taggedFields(onTag: (tag: number, size: number) => boolean = () => false): void {
    const count = this.varint();
    for (let i = 0; i < count; i++) {
      const tag = this.varint();
      const size = this.varint();
      if (!onTag(tag, size)) this.skip(size);
    }
  }
}

function parse(body: Buffer): BrokerApiVersions {
  const r = new Reader(body);
  const errorCode = r.int16();
  if (errorCode !== 0) throw new Error(`ApiVersions v3 answered error ${errorCode}`);
  const ranges = new Map<number, { min: number; max: number }>();
  for (let n = r.varint() - 1; n > 0; n--) {
    const key = r.int16();
    ranges.set(key, { min: r.int16(), max: r.int16() });
    r.taggedFields();
  }
  r.int32(); // throttle_time_ms
  const features = new Map<string, number>();
  r.taggedFields((tag) => {
    if (tag !== 2) return false; // 2: FinalizedFeatures
    for (let n = r.varint() - 1; n > 0; n--) {
      const name = r.compactString();
      const maxLevel = r.int16();
      r.int16(); // min_version_level
      r.taggedFields();
      features.set(name, maxLevel);
    }
    return true;
  });
  return { ranges, features };
}

/** Asks the broker at `host:port` (bounded by `timeoutMs`). */
export function brokerApiVersions(broker: string, timeoutMs = 10_000): Promise<BrokerApiVersions> {
  const [host, port] = [
    broker.slice(0, broker.lastIndexOf(":")),
    Number(broker.slice(broker.lastIndexOf(":") + 1)),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ""), port });
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(new Error(`ApiVersions to ${broker}: no answer within ${timeoutMs} ms`)),
    );
    socket.once("error", fail);
    socket.once("connect", () => socket.write(request(1)));
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      socket.destroy();
      try {
        // Response header v0 (ApiVersions answers never carry header tags): the correlation id.
        resolve(parse(received.subarray(8, 4 + received.readInt32BE(0))));
      } catch (error) {
        reject(error);
      }
    });
  });
}
