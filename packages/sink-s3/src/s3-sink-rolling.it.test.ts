/**
 * Rolling by size or age against the real server, read back with the S3 SDK alone: a file of
 * several parts kept open across checkpoints is completed from its parts and tail when a failover
 * restores the checkpoint holding it; a gzip file kept open is a concatenation of members the
 * test's gunzip reads whole; files roll at their size, and listings taken while the job runs show
 * only whole objects that never change. (Exactly-once under SIGKILL, stops and
 * rescaling with this policy is the kit's: s3-sink-rolling.conformance.it.test.ts.)
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Job, Pipeline, sequenceSource } from "@berth/core";
import { armFault } from "@berth/core/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { s3Sink } from "./s3-sink.js";
import { MIN_PART_BYTES, type S3SinkOptions } from "./s3-sink-options.js";
import {
  committedSeqs,
  freshLocation,
  listObjects,
  openUploads,
  range,
  readObject,
  type S3Location,
  S3PROXY_WRITE_IN_PROGRESS,
  testClient,
  testClientConfig,
} from "./test-support.js";

const client = testClient();
afterAll(() => client.destroy());
afterEach(() => armFault(undefined));

interface Padded {
  readonly seq: number;
  readonly pad: string;
}

async function run(
  at: S3Location,
  options: Pick<S3SinkOptions<Padded>, "rolling" | "gzip"> & {
    count: number;
    rate: number;
    padBytes: number;
    intervalMs: number;
    /** List and read the objects over and over while the job runs. */
    watch?: boolean;
  },
) {
  const pipeline = Pipeline.create({ name: "s3-rolling" });
  pipeline
    .source(sequenceSource({ count: options.count, ratePerSecond: options.rate }), { uid: "seq" })
    .map((seq): Padded => ({ seq, pad: "x".repeat(options.padBytes) }), { uid: "pad" })
    .sinkTo(
      s3Sink<Padded>({
        bucket: at.bucket,
        base: at.base,
        client: testClientConfig(),
        rolling: options.rolling,
        gzip: options.gzip,
      }),
      { uid: "s3", sinkPrefix: "rolling" },
    );
  const job = new Job(pipeline, {
    checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-rolling-")), "chk"),
    checkpointIntervalMs: options.intervalMs,
    restartStrategy: { attempts: 1, delayMs: 100 },
  });
  let checkpoints = 0;
  job.on("snapshot-written", () => {
    checkpoints++;
  });
  let running = true;
  const ran = job.run().finally(() => {
    running = false;
  });
  // Every object listed while the job runs, with its size and text when first seen.
  const seen = new Map<string, { size: number; text: string }>();
  while (running && options.watch) {
    for (const { key, size } of await listObjects(client, at)) {
      if (S3PROXY_WRITE_IN_PROGRESS.test(key) || seen.has(key)) continue;
      const text = (await readObject(client, at.bucket, key)).toString("utf8");
      seen.set(key, { size, text });
    }
  }
  const result = await ran;
  expect(result.state, result.error?.message).toBe("FINISHED");
  expect(await openUploads(client, at, "rolling")).toEqual([]);
  return { checkpoints, seen };
}

const sorted = (seqs: number[]) => [...seqs].sort((a, b) => a - b);
/** The attempt id in an object key `…/rolling-<subtask>-<attempt>-<chk>-<seq>.<ext>`. */
const attemptOf = (key: string) => /rolling-\d+-([0-9a-f]{8})-/.exec(key)?.[1];

describe("s3 sink rolling by size or age", () => {
  it("a file of several parts open across checkpoints is completed from its parts and tail when a failover restores it; every record once", async () => {
    const at = await freshLocation(client, "rolling-parts");
    // ~1 KiB records at 6000/s: 6 MiB a second, checkpoints every 300 ms, no roll before the end.
    // The failover comes after ~16 MiB: the restored checkpoint holds a file with uploaded parts.
    armFault("while-writing@16000:throw");
    const { checkpoints } = await run(at, {
      count: 24_000,
      rate: 6000,
      padBytes: 1000,
      intervalMs: 300,
      rolling: { maxBytes: 1024 * 1024 * 1024, maxAgeMs: 600_000 },
    });
    expect(checkpoints).toBeGreaterThan(2);
    const objects = await listObjects(client, at);
    // The first attempt's file, completed at the restore, and the second attempt's, at end of input.
    const attempts = new Set(objects.map((o) => attemptOf(o.key)));
    expect(attempts.size).toBe(2);
    const restored = objects.filter((o) => attemptOf(o.key) === attemptOf(objects[0]?.key ?? ""));
    expect(Math.max(...objects.map((o) => o.size))).toBeGreaterThan(2 * MIN_PART_BYTES);
    expect(restored.length).toBe(1);
    expect(sorted(await committedSeqs(client, at))).toEqual(range(0, 24_000));
  });

  it("a gzip file open across checkpoints is a concatenation of members that reads whole", async () => {
    const at = await freshLocation(client, "rolling-gzip");
    const { checkpoints } = await run(at, {
      count: 6000,
      rate: 3000,
      padBytes: 100,
      intervalMs: 100,
      gzip: true,
      rolling: { maxBytes: 1024 * 1024 * 1024, maxAgeMs: 600_000 },
    });
    expect(checkpoints).toBeGreaterThan(1);
    const objects = await listObjects(client, at);
    expect(objects.map((o) => o.key)).toEqual([expect.stringMatching(/\.jsonl\.gz$/)]);
    expect(sorted(await committedSeqs(client, at))).toEqual(range(0, 6000));
  });

  it("files roll once they hold maxBytes; listings while the job runs show only whole objects that never change", async () => {
    const at = await freshLocation(client, "rolling-size");
    const maxBytes = 64 * 1024;
    const { seen } = await run(at, {
      count: 6000,
      rate: 3000,
      padBytes: 100,
      intervalMs: 200,
      rolling: { maxBytes, maxAgeMs: 600_000 },
      watch: true,
    });
    const objects = await listObjects(client, at);
    // Files open across checkpoints are never visible: what was listed is whole and final.
    expect(seen.size).toBeGreaterThan(0);
    for (const [key, { size, text }] of seen) {
      expect(Buffer.byteLength(text), `${key} listed with another size than it reads`).toBe(size);
      expect(text.endsWith("\n"), `${key} ends mid-line`).toBe(true);
      expect(objects.find((o) => o.key === key)?.size, `${key} changed or vanished`).toBe(size);
    }
    const line = Buffer.byteLength(`${JSON.stringify({ seq: 5999, pad: "x".repeat(100) })}\n`);
    // ~700 KB of lines: each file but the last holds maxBytes, at most one line more.
    expect(objects.length).toBeGreaterThanOrEqual(10);
    const full = objects.filter((o) => o.size >= maxBytes);
    expect(full.length).toBeGreaterThanOrEqual(objects.length - 1);
    for (const { size } of full) expect(size).toBeLessThan(maxBytes + line);
    expect(sorted(await committedSeqs(client, at))).toEqual(range(0, 6000));
  });
});
