/**
 * Spooling against the real server: a writer bound to 1 MiB of memory writes a 39 MiB file of
 * 8 MiB parts. Its memory counter never passes the bound while spool files larger than the
 * bound appear in its spool folder (seen with readdir, not through the writer), the object —
 * read back with the S3 SDK — holds every record once, and the spool folder is left empty.
 */
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SinkNames, type SinkWriterContext } from "@berth/core/connector";
import { afterAll, describe, expect, it } from "vitest";
import { ObjectKeys } from "./internal/object-keys.js";
import { createS3Client } from "./internal/s3-client.js";
import { S3Committer } from "./s3-committer.js";
import { resolveS3SinkOptions } from "./s3-sink-options.js";
import { S3Writer } from "./s3-writer.js";
import { freshLocation, listObjects, readObject, testClient, testClientConfig } from "./test-support.js";

const client = testClient();
afterAll(() => client.destroy());

const MIB = 1024 * 1024;

/** Bytes of every spool file under `directory` (the writer's `berth-s3-*` folders). */
function spooledFiles(directory: string): number[] {
  return readdirSync(directory).flatMap((folder) =>
    readdirSync(join(directory, folder)).map((file) => statSync(join(directory, folder, file)).size),
  );
}

describe("s3 writer spooling", () => {
  it("memory stays within memoryBufferBytes while a file far larger is written in parts from spool files", async () => {
    const at = await freshLocation(client, "spool");
    const spoolDirectory = mkdtempSync(join(tmpdir(), "berth-s3-spool-test-"));
    const options = resolveS3SinkOptions<{ seq: number; pad: string }>({
      bucket: at.bucket,
      base: at.base,
      client: testClientConfig(),
      partSizeBytes: 8 * MIB,
      memoryBufferBytes: MIB,
      spoolDirectory,
    });
    const context: SinkWriterContext = {
      sinkPrefix: "spool",
      names: new SinkNames("spool"),
      uid: "s3",
      parallelism: 1,
      attemptId: "0a1b2c3d",
      log: { info() {}, warn() {} },
      subtask: 0,
      currentCheckpointId: () => 1,
    };
    const writer = new S3Writer(
      context,
      createS3Client(options.client),
      new ObjectKeys(at.base, ".jsonl"),
      options,
    );
    const records = 4000;
    const pad = "x".repeat(10 * 1024);
    let largestSpoolFile = 0;
    for (let seq = 0; seq < records; seq++) {
      await writer.write({ seq, pad });
      if (seq % 100 === 0) largestSpoolFile = Math.max(largestSpoolFile, ...spooledFiles(spoolDirectory), 0);
    }
    await writer.flush(true, { checkpointId: 1, savepoint: false, stop: "drain" });
    const [committable, ...more] = await writer.prepareCommit();
    expect(more).toEqual([]);
    expect(writer.memory.peak).toBeGreaterThan(0);
    expect(writer.memory.peak).toBeLessThanOrEqual(MIB);
    expect(largestSpoolFile).toBeGreaterThan(MIB);
    expect(committable?.parts.length).toBeGreaterThan(4);

    const committer = new S3Committer(createS3Client(options.client), true);
    expect((await committer.commit(committable as never)).kind).toBe("committed");
    await committer.close();
    await writer.close();
    expect(spooledFiles(spoolDirectory)).toEqual([]);

    const objects = await listObjects(client, at);
    expect(objects).toHaveLength(1);
    expect(objects[0]?.size).toBeGreaterThan(records * pad.length);
    const lines = (await readObject(client, at.bucket, objects[0]?.key as string))
      .toString("utf8")
      .split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual(
      Array.from({ length: records }, (_, i) => i),
    );
  }, 120_000);
});
