/**
 * The sink's objects against the real server, read back with the S3 SDK alone: a file of many
 * parts, gzip across parts, and checkpoints without records write no object. (Exactly-once
 * under crashes, stops and rescaling is the conformance kit's: s3-sink.conformance.it.test.ts.)
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Job, Pipeline, sequenceSource } from "@berth/core";
import { afterAll, describe, expect, it } from "vitest";
import { S3SinkError } from "./errors.js";
import { s3Sink } from "./s3-sink.js";
import { MIN_PART_BYTES } from "./s3-sink-options.js";
import {
  committedSeqs,
  freshLocation,
  listObjects,
  openUploads,
  parseCsv,
  range,
  readObject,
  type S3Location,
  TEST_BUCKET,
  testClient,
  testClientConfig,
} from "./test-support.js";

const client = testClient();
afterAll(() => client.destroy());

interface Padded {
  readonly seq: number;
  readonly pad: string;
}

async function run(
  at: S3Location,
  options: { count: number; rate?: number; pad: (seq: number) => string; gzip?: boolean; intervalMs: number },
) {
  const pipeline = Pipeline.create({ name: "s3-objects" });
  pipeline
    .source(sequenceSource({ count: options.count, ratePerSecond: options.rate ?? 0 }), { uid: "seq" })
    .map((seq): Padded => ({ seq, pad: options.pad(seq) }), { uid: "pad" })
    .sinkTo(
      s3Sink<Padded>({ bucket: at.bucket, base: at.base, client: testClientConfig(), gzip: options.gzip }),
      {
        uid: "s3",
        sinkPrefix: "objects",
      },
    );
  const result = await new Job(pipeline, {
    checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-objects-")), "chk"),
    checkpointIntervalMs: options.intervalMs,
  }).run();
  expect(result.state, result.error?.message).toBe("FINISHED");
  expect(await openUploads(client, at, "objects")).toEqual([]);
}

const sorted = (seqs: number[]) => [...seqs].sort((a, b) => a - b);

describe("s3 sink objects", () => {
  it("a transaction larger than several parts becomes one whole object", async () => {
    const at = await freshLocation(client, "many-parts");
    // 18 000 records of ~1 KiB in one transaction (end of input's checkpoint): over three 5 MiB parts.
    await run(at, { count: 18_000, pad: () => "x".repeat(1000), intervalMs: 600_000 });
    const objects = await listObjects(client, at);
    expect(objects).toHaveLength(1);
    expect(objects[0]?.size).toBeGreaterThan(3 * MIN_PART_BYTES);
    expect(await committedSeqs(client, at)).toEqual(range(0, 18_000));
  });

  it("gzip objects round-trip, across parts", async () => {
    const at = await freshLocation(client, "gzip");
    // Random hex compresses to about half: ~13 MiB of lines give more than one 5 MiB part.
    await run(at, {
      count: 12_000,
      pad: () => randomBytes(550).toString("hex"),
      gzip: true,
      intervalMs: 600_000,
    });
    const objects = await listObjects(client, at);
    expect(objects.map((o) => o.key)).toEqual([
      expect.stringMatching(/\/objects-0-[0-9a-f]{8}-\d+-0\.jsonl\.gz$/),
    ]);
    expect(objects[0]?.size).toBeGreaterThan(MIN_PART_BYTES);
    expect(await committedSeqs(client, at)).toEqual(range(0, 12_000));
  });

  it("CSV (gzip) round-trips: a header atop every object, fields with commas, quotes and newlines quoted", async () => {
    const at = await freshLocation(client, "csv");
    const note = (seq: number) => (seq % 3 === 0 ? `a, "quoted"\nline ${seq}` : `plain ${seq}`);
    const pipeline = Pipeline.create({ name: "s3-csv" });
    pipeline
      .source(sequenceSource({ count: 3000, ratePerSecond: 3000 }), { uid: "seq" })
      .map((seq) => ({ seq, note: note(seq), skipped: "x" }), { uid: "row" })
      .sinkTo(
        s3Sink({
          bucket: at.bucket,
          base: at.base,
          client: testClientConfig(),
          gzip: true,
          csv: { columns: ["seq", "note"] },
        }),
        { uid: "s3", sinkPrefix: "csv" },
      );
    const result = await new Job(pipeline, {
      checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-csv-")), "chk"),
      checkpointIntervalMs: 100,
    }).run();
    expect(result.state, result.error?.message).toBe("FINISHED");
    const objects = await listObjects(client, at);
    expect(objects.length).toBeGreaterThan(1);
    const rows: string[][] = [];
    for (const { key } of objects) {
      expect(key).toMatch(/\.csv\.gz$/);
      const [header, ...body] = parseCsv((await readObject(client, at.bucket, key)).toString("utf8"));
      expect(header).toEqual(["seq", "note"]);
      rows.push(...body);
    }
    rows.sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(rows).toEqual(range(0, 3000).map((seq) => [String(seq), note(seq)]));
  });

  it("a record the serializer rejects fails the job naming it; nothing of its transaction is visible", async () => {
    const at = await freshLocation(client, "bad-record");
    const pipeline = Pipeline.create({ name: "s3-bad-record" });
    pipeline
      .source(sequenceSource({ count: 100 }), { uid: "seq" })
      .map((seq) => ({ seq }), { uid: "row" })
      .sinkTo(
        s3Sink<{ seq: number }>({
          bucket: at.bucket,
          base: at.base,
          client: testClientConfig(),
          serializer: (r) => {
            if (r.seq === 42) throw new Error("no 42 here");
            return JSON.stringify(r);
          },
        }),
        { uid: "s3", sinkPrefix: "bad" },
      );
    const result = await new Job(pipeline, {
      checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-bad-")), "chk"),
      checkpointIntervalMs: 600_000,
      restartStrategy: { attempts: 0, delayMs: 0 },
    }).run();
    expect(result.state).toBe("FAILED");
    const messages = [result.error?.message, (result.error?.cause as Error | undefined)?.message].join(" | ");
    expect(messages).toMatch(/record \{"seq":42\} cannot be written \(the serializer threw: no 42 here\)/);
    expect(await listObjects(client, at)).toEqual([]);
  });

  it("with badRecords skip, a rejected record is skipped and every other record committed once", async () => {
    const at = await freshLocation(client, "skip-record");
    const pipeline = Pipeline.create({ name: "s3-skip-record" });
    pipeline
      .source(sequenceSource({ count: 500, ratePerSecond: 2000 }), { uid: "seq" })
      .map((seq) => ({ seq }), { uid: "row" })
      .sinkTo(
        s3Sink<{ seq: number }>({
          bucket: at.bucket,
          base: at.base,
          client: testClientConfig(),
          serializer: (r) => {
            if (r.seq === 42) throw new Error("no 42 here");
            return JSON.stringify(r);
          },
        }),
        { uid: "s3", sinkPrefix: "skip", badRecords: { policy: "skip" } },
      );
    const result = await new Job(pipeline, {
      checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-skip-")), "chk"),
      checkpointIntervalMs: 100,
    }).run();
    expect(result.state, result.error?.message).toBe("FINISHED");
    expect(sorted(await committedSeqs(client, at))).toEqual(range(0, 500).filter((s) => s !== 42));
  });

  it.each([
    [
      "a missing bucket",
      { bucket: "berth-no-such-bucket" },
      /bucket berth-no-such-bucket .* the bucket does not exist/,
    ],
    [
      "wrong credentials",
      { client: { ...testClientConfig(), credentials: { accessKeyId: "nobody", secretAccessKey: "wrong" } } },
      /access is denied; check the credentials/,
    ],
    [
      "an unreachable endpoint",
      { client: { ...testClientConfig("http://127.0.0.1:1") } },
      /does not answer as S3/,
    ],
  ])("%s is one clear line at start", async (_, override, message) => {
    const pipeline = Pipeline.create({ name: "s3-unreachable" });
    pipeline
      .source(sequenceSource({ count: 10 }), { uid: "seq" })
      .map((seq) => ({ seq }), { uid: "row" })
      .sinkTo(
        s3Sink<{ seq: number }>({
          bucket: TEST_BUCKET,
          client: testClientConfig(),
          retryDeadlineMs: 0,
          ...override,
        }),
        { uid: "s3", sinkPrefix: "unreachable" },
      );
    const result = await new Job(pipeline, {
      checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-unreachable-")), "chk"),
      checkpointIntervalMs: 100,
      restartStrategy: { attempts: 0, delayMs: 0 },
    }).run();
    expect(result.state).toBe("FAILED");
    expect(result.error).toBeInstanceOf(S3SinkError);
    expect((result.error as S3SinkError).code).toBe("S3_TARGET_UNREACHABLE");
    expect(result.error?.message).toMatch(message);
    expect(result.error?.message).not.toContain("\n");
  });

  it("at-least-once completes each object at the barrier: every record, no upload left", async () => {
    const at = await freshLocation(client, "at-least-once");
    const pipeline = Pipeline.create({ name: "s3-at-least-once" });
    pipeline
      .source(sequenceSource({ count: 2000, ratePerSecond: 4000 }), { uid: "seq" })
      .map((seq) => ({ seq }), { uid: "row" })
      .sinkTo(
        s3Sink<{ seq: number }>({
          bucket: at.bucket,
          base: at.base,
          client: testClientConfig(),
          deliveryGuarantee: "at-least-once",
        }),
        { uid: "s3", sinkPrefix: "alo" },
      );
    const result = await new Job(pipeline, {
      checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-alo-")), "chk"),
      checkpointIntervalMs: 100,
    }).run();
    expect(result.state, result.error?.message).toBe("FINISHED");
    expect((await listObjects(client, at)).length).toBeGreaterThan(1);
    expect(sorted(await committedSeqs(client, at))).toEqual(range(0, 2000));
    expect(await openUploads(client, at, "")).toEqual([]);
  });

  it("a bad option is refused when the sink is built, naming it", () => {
    expect(() => s3Sink({ bucket: "Bad_Bucket" })).toThrow(/s3 sink: `bucket` must be an S3 bucket name/);
    expect(() => s3Sink({ bucket: "b-1", partSizeBytes: 1024 })).toThrow(/`partSizeBytes`.*\(got 1024\)/);
    expect(() => s3Sink({ bucket: "b-1", parSize: 1 } as never)).toThrow(/unknown option\(s\) `parSize`/);
  });

  it("a sink prefix whose longest key would exceed 1024 bytes is refused at start", async () => {
    const base = `long/${"k".repeat(960)}`;
    const pipeline = Pipeline.create({ name: "s3-long-keys" });
    pipeline
      .source(sequenceSource({ count: 10 }), { uid: "seq" })
      .map((seq) => ({ seq }), { uid: "row" })
      .sinkTo(s3Sink<{ seq: number }>({ bucket: TEST_BUCKET, base, client: testClientConfig() }), {
        uid: "s3",
        sinkPrefix: "a-prefix-of-some-length",
      });
    const result = await new Job(pipeline, {
      checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-long-")), "chk"),
      checkpointIntervalMs: 100,
      restartStrategy: { attempts: 0, delayMs: 0 },
    }).run();
    expect(result.state).toBe("FAILED");
    expect((result.error as { code?: string } | undefined)?.code).toBe("SINK_PREFIX_TOO_LONG");
    expect(result.error?.message).toMatch(
      /over the target's limit of \d+; use a sink prefix of at most \d+ bytes/,
    );
    expect(await listObjects(client, { endpoint: "", bucket: TEST_BUCKET, base: "long" })).toEqual([]);
  });

  it("partitioned: each record lands once in its Hive-style folder; a key over 1024 bytes fails the job naming the record", async () => {
    const at = await freshLocation(client, "partitions");
    const day = (seq: number) => `2026-12-0${1 + (seq % 3)}`;
    const pipeline = Pipeline.create({ name: "s3-partitions" });
    pipeline
      .source(sequenceSource({ count: 3000, ratePerSecond: 3000 }), { uid: "seq" })
      .map((seq) => ({ seq }), { uid: "row" })
      .sinkTo(
        s3Sink<{ seq: number }>({
          bucket: at.bucket,
          base: at.base,
          client: testClientConfig(),
          partitionBy: (r) => ({ dt: day(r.seq), "odd/even": r.seq % 2 ? "odd" : "even" }),
        }),
        { uid: "s3", sinkPrefix: "parts" },
      );
    const result = await new Job(pipeline, {
      checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-parts-")), "chk"),
      checkpointIntervalMs: 100,
    }).run();
    expect(result.state, result.error?.message).toBe("FINISHED");
    const seqs: number[] = [];
    for (const { key } of await listObjects(client, at)) {
      const folder = /^.*\/(dt=[^/]+)\/(odd%2Feven=[^/]+)\/parts-0-[0-9a-f]{8}-\d+-\d+\.jsonl$/.exec(key);
      expect(folder, key).not.toBeNull();
      for (const line of (await readObject(client, at.bucket, key)).toString().split("\n").filter(Boolean)) {
        const { seq } = JSON.parse(line) as { seq: number };
        expect(`${folder?.[1]}/${folder?.[2]}`).toBe(`dt=${day(seq)}/odd%2Feven=${seq % 2 ? "odd" : "even"}`);
        seqs.push(seq);
      }
    }
    expect(sorted(seqs)).toEqual(range(0, 3000));

    const long = Pipeline.create({ name: "s3-long-partition" });
    long
      .source(sequenceSource({ count: 10 }), { uid: "seq" })
      .map((seq) => ({ seq }), { uid: "row" })
      .sinkTo(
        s3Sink<{ seq: number }>({
          bucket: at.bucket,
          base: at.base,
          client: testClientConfig(),
          partitionBy: (r) => ({ k: r.seq === 7 ? "v".repeat(1100) : "short" }),
        }),
        { uid: "s3", sinkPrefix: "long" },
      );
    const failed = await new Job(long, {
      checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-longpart-")), "chk"),
      checkpointIntervalMs: 100,
      restartStrategy: { attempts: 0, delayMs: 0 },
    }).run();
    expect(failed.state).toBe("FAILED");
    const messages = [failed.error?.message, (failed.error?.cause as Error | undefined)?.message].join(" | ");
    expect(messages).toMatch(/record \{"seq":7\} would go to a key of \d+ bytes, over S3's 1024/);
  });

  it("a checkpoint without records writes no object", async () => {
    const at = await freshLocation(client, "empty-checkpoints");
    // 8 records over about 2 s, a checkpoint every 50 ms: most checkpoints see no record.
    await run(at, { count: 8, rate: 4, pad: () => "", intervalMs: 50 });
    const objects = await listObjects(client, at);
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.length).toBeLessThanOrEqual(8);
    for (const o of objects) expect(o.size).toBeGreaterThan(0);
    expect(sorted(await committedSeqs(client, at))).toEqual(range(0, 8));
  });
});
