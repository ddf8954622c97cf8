/**
 * @berth/sink-s3 — an exactly-once S3 sink on multipart uploads: each subtask streams its
 * transaction into a multipart upload, pre-commits it at the checkpoint barrier (every part
 * uploaded, the object still invisible) and completes it once the checkpoint is complete;
 * uploads of earlier runs are aborted at start. Works with AWS and S3-compatible servers.
 */
export { ensureBucket } from "./buckets.js";
export { S3_COMMIT_FAILURES, S3RecordRejectedError, S3SinkError, type S3SinkErrorCode } from "./errors.js";
export type { ParquetColumn, ParquetType } from "./internal/parquet-file.js";
export { S3_COMMITTABLE_VERSION, type S3Committable, type S3Part } from "./s3-committable.js";
export { listUploads, type S3Upload } from "./s3-lingering.js";
export { s3Sink } from "./s3-sink.js";
export type { S3ObjectParameters, S3SinkOptions } from "./s3-sink-options.js";
export { S3_WRITER_STATE_VERSION, type S3OpenFile, type S3WriterState } from "./s3-writer-state.js";
