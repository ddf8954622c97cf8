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
import { s3Sink } from "./s3-sink.js";
import { MIN_PART_BYTES } from "./s3-sink-options.js";
import {
  committedSeqs,
  freshLocation,
  listObjects,
  openUploads,
  range,
  type S3Location,
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
