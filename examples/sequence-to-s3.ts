/**
 * A sequence source into the exactly-once S3 sink: `berth run examples/sequence-to-s3.ts`.
 * Objects `<S3_PREFIX>/<sink prefix>-<subtask>-<attempt>-<checkpoint>-0.jsonl` appear in S3_BUCKET
 * (created when missing) once their checkpoint completes, each line JSON `{"seq": n}`; list and
 * read them with any S3 client to see exactly-once. Environment (DESIGN.md, "The sequence
 * examples"): SEQ_COUNT, SEQ_RATE, SEQ_PARALLELISM, S3_ENDPOINT (default http://127.0.0.1:9000,
 * path-style), S3_BUCKET (default `berth-sequence`), S3_PREFIX (the base key, default
 * `sequence`), and S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (defaults: the services'
 * `us-east-1`, `berth`, `berth-secret`).
 */
import { definePipeline, Pipeline, sequenceSource } from "@berth/core";
import { ensureBucket, s3Sink } from "@berth/sink-s3";
import { sequenceSettings } from "./sequence-env.js";
import { s3Client } from "./targets-env.js";

export default definePipeline(async () => {
  const { count, ratePerSecond, parallelism } = sequenceSettings();
  const client = s3Client();
  const bucket = process.env.S3_BUCKET || "berth-sequence";
  await ensureBucket({ bucket, client });
  const pipeline = Pipeline.create({ name: "sequence-to-s3" });
  pipeline
    .source(sequenceSource({ ...(count !== undefined ? { count } : {}), ratePerSecond }), {
      uid: "sequence",
      parallelism,
    })
    .map((seq) => ({ seq }), { uid: "to-record", parallelism })
    .sinkTo(s3Sink<{ seq: number }>({ bucket, base: process.env.S3_PREFIX || "sequence", client }), {
      uid: "s3",
      parallelism,
    });
  return pipeline;
});
