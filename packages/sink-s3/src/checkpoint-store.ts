/**
 * @berth/sink-s3/checkpoint-store — checkpoints, savepoints and a job's lineage on S3
 * (`--checkpoint-dir s3://bucket/prefix`, ADR 0018). The core loads this module for `s3://`
 * locations and opens stores with {@link openCheckpointStore}; a program may import it to
 * register the scheme itself. Endpoint, region and credentials come from the AWS provider chain.
 */
import { type CheckpointStore, registerStoreScheme } from "@berth/core";
import { S3CheckpointStore } from "./internal/checkpoint-store/s3-checkpoint-store.js";

export { DEFAULT_LEASE_TTL_MS } from "./internal/checkpoint-store/s3-job-lease.js";

/** The store rooted at `s3://bucket/prefix`. */
export function openCheckpointStore(location: string): CheckpointStore {
  return new S3CheckpointStore(location);
}

registerStoreScheme("s3", openCheckpointStore);
