/**
 * The `_metadata` file of a checkpoint or savepoint directory (format version 1). Every path
 * in it is relative to the directory, so a savepoint may be moved or copied whole.
 */
import { z } from "zod";

export const METADATA_FILE = "_metadata";
export const COMMITS_FILE = "_commits";
export const METADATA_FORMAT_VERSION = 1;

const json: z.ZodType<unknown> = z.unknown();

export const stateFileHandle = z.object({
  subtask: z.number().int().nonnegative(),
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export type StateFileHandle = z.infer<typeof stateFileHandle>;

export const storedCommittable = z.object({
  /** Unique per committable: uid/subtask/attempt/checkpoint/index. */
  id: z.string(),
  subtask: z.number().int().nonnegative(),
  checkpointId: z.number().int().positive(),
  attemptId: z.string(),
  committable: json,
});
export type StoredCommittable = z.infer<typeof storedCommittable>;

export const checkpointMetadata = z.object({
  magic: z.literal("berth-checkpoint"),
  formatVersion: z.number().int(),
  kind: z.enum(["checkpoint", "savepoint"]),
  format: z.enum(["canonical", "native"]),
  backend: z.enum(["memory", "sqlite"]),
  jobId: z.string(),
  pipeline: z.string(),
  checkpointId: z.number().int().positive(),
  createdAt: z.string(),
  sdkVersion: z.string(),
  maxParallelism: z.number().int().positive(),
  stop: z.enum(["none", "suspend", "drain"]),
  operators: z.array(
    z.object({
      uid: z.string(),
      parallelism: z.number().int().positive(),
      subtasks: z.array(stateFileHandle),
    }),
  ),
  sinks: z.array(
    z.object({
      uid: z.string(),
      kind: z.string(),
      sinkPrefix: z.string(),
      committableVersion: z.number().int(),
      committables: z.array(storedCommittable),
    }),
  ),
});
export type CheckpointMetadata = z.infer<typeof checkpointMetadata>;

/** Contents of one subtask's state file. */
export interface SubtaskStateFile {
  readonly operatorState: unknown[];
  readonly keyed: { state: string; keyGroup: number; key: string; value: unknown }[];
}
