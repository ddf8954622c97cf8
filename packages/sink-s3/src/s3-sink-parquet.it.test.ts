/**
 * Parquet objects against the real server, read back with @dsnp/parquetjs — not the writer's
 * library (hyparquet-writer): every type of the schema round-trips, row groups hold
 * `rowGroupRows` records, a file larger than several parts is whole, a record that does not fit
 * the schema is rejected naming it, and options Parquet cannot honour are refused.
 */
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Job, Pipeline, sequenceSource } from "@berth/core";
import { afterAll, describe, expect, it } from "vitest";
import { S3SinkError } from "./errors.js";
import { s3Sink } from "./s3-sink.js";
import { MIN_PART_BYTES, type S3SinkOptions } from "./s3-sink-options.js";
import {
  freshLocation,
  listObjects,
  openUploads,
  range,
  readObject,
  readParquet,
  type S3Location,
  testClient,
  testClientConfig,
} from "./test-support.js";

const client = testClient();
afterAll(() => client.destroy());

interface Row {
  readonly seq: number;
  readonly big: bigint;
  readonly small: number;
  readonly ratio: number;
  readonly name: string;
  readonly flag: boolean;
  readonly at: Date;
  readonly meta: { tags: string[] };
  readonly note?: string;
}

const schema: NonNullable<S3SinkOptions<Row>["parquet"]>["schema"] = [
  { name: "seq", type: "INT64" },
  { name: "big", type: "INT64" },
  { name: "small", type: "INT32" },
  { name: "ratio", type: "DOUBLE" },
  { name: "name", type: "STRING" },
  { name: "flag", type: "BOOLEAN" },
  { name: "at", type: "TIMESTAMP" },
  { name: "meta", type: "JSON" },
  { name: "note", type: "STRING", optional: true },
];

/** ~2 KiB of hex that differs per seq: neither the dictionary nor snappy can shrink it much. */
const noise = (seq: number) =>
  Array.from({ length: 32 }, (_, i) => createHash("sha256").update(`${seq}/${i}`).digest("hex")).join("");

const row = (seq: number, pad?: (seq: number) => string): Row => ({
  seq,
  big: 2n ** 53n + BigInt(seq),
  small: 1000 - seq,
  ratio: seq / 8,
  name: `name-${seq}${pad?.(seq) ?? ""}`,
  flag: seq % 2 === 0,
  at: new Date(1_780_000_000_000 + seq),
  meta: { tags: [`t${seq % 3}`] },
  ...(seq % 5 === 0 ? {} : { note: `note ${seq}` }),
});

async function run(
  at: S3Location,
  count: number,
  options: { rowGroupRows: number; pad?: (seq: number) => string; intervalMs: number },
) {
  const pipeline = Pipeline.create({ name: "s3-parquet" });
  pipeline
    .source(sequenceSource({ count }), { uid: "seq" })
    .map((seq) => row(seq, options.pad), { uid: "row" })
    .sinkTo(
      s3Sink<Row>({
        bucket: at.bucket,
        base: at.base,
        client: testClientConfig(),
        parquet: { schema, rowGroupRows: options.rowGroupRows },
      }),
      { uid: "s3", sinkPrefix: "parquet" },
    );
  return new Job(pipeline, {
    checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-parquet-")), "chk"),
    checkpointIntervalMs: options.intervalMs,
  }).run();
}

describe("s3 sink parquet", () => {
  it("every type round-trips through another reader; row groups hold rowGroupRows records", async () => {
    const at = await freshLocation(client, "parquet-types");
    const result = await run(at, 2500, { rowGroupRows: 1000, intervalMs: 600_000 });
    expect(result.state, result.error?.message).toBe("FINISHED");
    const objects = await listObjects(client, at);
    expect(objects.map((o) => o.key)).toEqual([
      expect.stringMatching(/\/parquet-0-[0-9a-f]{8}-\d+-0\.parquet$/),
    ]);
    const { rows, rowGroups } = await readParquet(
      await readObject(client, at.bucket, objects[0]?.key as string),
    );
    expect(rowGroups).toBe(3);
    const expected = range(0, 2500).map((seq) => {
      const r = row(seq);
      return {
        seq: BigInt(r.seq),
        big: r.big,
        small: r.small,
        ratio: r.ratio,
        name: r.name,
        flag: r.flag,
        at: r.at,
        meta: r.meta,
        note: r.note ?? null,
      };
    });
    expect(rows.map((r) => ({ ...r }))).toEqual(expected);
  });

  it("a file larger than several parts is uploaded row group by row group and reads whole", async () => {
    const at = await freshLocation(client, "parquet-parts");
    // 12 000 rows of ~2 KiB: ~24 MiB, over four 5 MiB parts, in six row groups.
    const result = await run(at, 12_000, { rowGroupRows: 2000, pad: noise, intervalMs: 600_000 });
    expect(result.state, result.error?.message).toBe("FINISHED");
    expect(await openUploads(client, at, "parquet")).toEqual([]);
    const objects = await listObjects(client, at);
    expect(objects).toHaveLength(1);
    expect(objects[0]?.size).toBeGreaterThan(3 * MIN_PART_BYTES);
    const { rows, rowGroups } = await readParquet(
      await readObject(client, at.bucket, objects[0]?.key as string),
    );
    expect(rowGroups).toBe(6);
    expect(rows.map((r) => Number(r.seq))).toEqual(range(0, 12_000));
  });

  it("a record that does not fit the schema is rejected naming the record and the column", async () => {
    const at = await freshLocation(client, "parquet-bad");
    const pipeline = Pipeline.create({ name: "s3-parquet-bad" });
    pipeline
      .source(sequenceSource({ count: 100 }), { uid: "seq" })
      .map((seq) => ({ seq: seq === 42 ? "forty-two" : seq }), { uid: "row" })
      .sinkTo(
        s3Sink<{ seq: number | string }>({
          bucket: at.bucket,
          base: at.base,
          client: testClientConfig(),
          parquet: { schema: [{ name: "seq", type: "INT64" }] },
        }),
        { uid: "s3", sinkPrefix: "parquet-bad" },
      );
    const result = await new Job(pipeline, {
      checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-parquet-")), "chk"),
      checkpointIntervalMs: 600_000,
      restartStrategy: { attempts: 0, delayMs: 0 },
    }).run();
    expect(result.state).toBe("FAILED");
    expect(result.error?.message).toMatch(/S3_RECORD_INVALID|"seq":"forty-two"/);
    expect(result.error?.message).toMatch(/column "seq" \(INT64\) needs a bigint or a safe integer/);
    expect(await listObjects(client, at)).toEqual([]);
  });

  it.each([
    ["gzip", { gzip: true }],
    ["rolling by size", { rolling: { maxBytes: 1 << 20 } }],
    ["csv beside it", { csv: { columns: ["seq"] } }],
    ["a type it does not know", { parquet: { schema: [{ name: "seq", type: "INT128" }] } }],
  ])("refuses parquet with %s when the sink is built", (_, extra) => {
    expect(() =>
      s3Sink({ bucket: "b-ok", parquet: { schema: [{ name: "seq", type: "INT64" }] }, ...extra } as never),
    ).toThrow(S3SinkError);
  });
});
