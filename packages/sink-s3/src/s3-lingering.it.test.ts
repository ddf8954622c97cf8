/**
 * Lingering upload cleanup against the real server: at start the sink aborts the multipart
 * uploads of its own prefix — of any subtask, one that no longer exists included — and never
 * one of another prefix that starts with it or that it starts with, nor a key of its prefix that
 * is not an attempt name. Uploads are listed with the S3 SDK alone.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateMultipartUploadCommand } from "@aws-sdk/client-s3";
import { Job, Pipeline, sequenceSource } from "@berth/core";
import { SinkNames } from "@berth/core/connector";
import { afterAll, describe, expect, it } from "vitest";
import { s3Sink } from "./s3-sink.js";
import {
  committedSeqs,
  freshLocation,
  openUploads,
  range,
  testClient,
  testClientConfig,
} from "./test-support.js";

const client = testClient();
afterAll(() => client.destroy());

const attemptKey = (base: string, prefix: string, subtask: number) =>
  `${base}/${new SinkNames(prefix).attempt({ subtask, attemptId: "0a1b2c3d", checkpointId: 3 })}-0.jsonl`;

describe("s3 sink lingering cleanup", () => {
  it.each([
    { prefix: "a", others: ["a-b", "a-1", "b"] },
    { prefix: "a-b", others: ["a", "a-b-c", "a-bb"] },
  ])(
    "prefix $prefix aborts its own uploads, of any subtask, and never those of $others",
    async ({ prefix, others: otherPrefixes }) => {
      const at = await freshLocation(client, "lingering");
      const own = [attemptKey(at.base, prefix, 0), attemptKey(at.base, prefix, 7)];
      const others = [
        ...otherPrefixes.map((p) => attemptKey(at.base, p, 0)),
        `${at.base}/${prefix}-notes.txt`,
      ];
      for (const key of [...own, ...others])
        await client.send(new CreateMultipartUploadCommand({ Bucket: at.bucket, Key: key }));
      expect((await openUploads(client, at, "")).sort()).toEqual([...own, ...others].sort());

      const pipeline = Pipeline.create({ name: "lingering" });
      pipeline
        .source(sequenceSource({ count: 100 }), { uid: "seq" })
        .map((n) => ({ seq: n }), { uid: "to-json" })
        .sinkTo(s3Sink({ bucket: at.bucket, base: at.base, client: testClientConfig() }), {
          uid: "s3",
          sinkPrefix: prefix,
        });
      const result = await new Job(pipeline, {
        checkpointDirectory: join(mkdtempSync(join(tmpdir(), "berth-s3-lingering-")), "chk"),
        checkpointIntervalMs: 50,
      }).run();
      expect(result.state).toBe("FINISHED");
      expect((await openUploads(client, at, "")).sort()).toEqual([...others].sort());
      expect((await committedSeqs(client, at)).sort((x, y) => x - y)).toEqual(range(0, 100));
    },
  );
});
