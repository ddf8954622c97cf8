/**
 * The `_metadata` file of a checkpoint or savepoint directory, specified in
 * docs/savepoint-format.md. Format version 2: per subtask an operator state file and a
 * keyed state handle (canonical chunks, or the sqlite backend's own database file), every
 * file with its SHA-256, and `_metadata` itself checksummed. Paths are relative to the
 * directory holding `_metadata`, so a savepoint may be moved or copied whole. Version 1
 * (keyed entries inline in the state file, no `_metadata` checksum) is still read.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

export const METADATA_FILE = "_metadata";
export const COMMITS_FILE = "_commits";
export const CLAIM_FILE = "_claimed";
export const METADATA_FORMAT_VERSION = 2;

const json: z.ZodType<unknown> = z.unknown();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const keyGroups = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

/** One chunk of canonical keyed state: the entries of a contiguous key group range. */
export const keyedChunk = z.object({
  /** Relative to the `_metadata` directory; absolute only for a file of a claimed restore point. */
  path: z.string(),
  sha256,
  bytes: z.number().int().nonnegative(),
  keyGroups,
  entries: z.number().int().nonnegative(),
});
export type KeyedChunk = z.infer<typeof keyedChunk>;

export const keyedStateHandle = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("chunks"), chunks: z.array(keyedChunk) }),
  /** Native format of the sqlite backend: a consistent copy of the subtask's database. */
  z.object({
    kind: z.literal("sqlite"),
    path: z.string(),
    sha256,
    bytes: z.number().int().nonnegative(),
    keyGroups,
  }),
]);
export type KeyedStateHandle = z.infer<typeof keyedStateHandle>;

export const stateFileHandle = z.object({
  subtask: z.number().int().nonnegative(),
  /** The operator state file (JSON), relative to the `_metadata` directory. */
  file: z.string(),
  sha256,
  bytes: z.number().int().nonnegative(),
  /** Keyed state; absent for subtasks without keyed state (and in format version 1). */
  keyed: keyedStateHandle.optional(),
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
  /** SHA-256 of the file with this value replaced by 64 zeros (format version ≥ 2). */
  metadataSha256: sha256.optional(),
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
      /** The prefix the sink used; a restore keeps it unless the sink has an explicit one (ADR 0005). */
      sinkPrefix: z.string(),
      committableVersion: z.number().int(),
      /** Version of the sink's writer state in the operator state files; absent before versioned codecs (read as 1). */
      writerStateVersion: z.number().int().optional(),
      committables: z.array(storedCommittable),
    }),
  ),
});
export type CheckpointMetadata = z.infer<typeof checkpointMetadata>;

/** Contents of one subtask's operator state file (format version 1 also held `keyed`). */
export interface OperatorStateFile {
  readonly operatorState: unknown[];
  readonly keyed?: { state: string; keyGroup: number; key: string; value: unknown }[];
}

/** Operator state and keyed entries of one subtask, as tests and tools read them. */
export interface SubtaskStateFile {
  readonly operatorState: unknown[];
  readonly keyed: { state: string; keyGroup: number; key: string; value: unknown }[];
}

const ZEROS = "0".repeat(64);
const CHECKSUM_FIELD = /"metadataSha256": ?"([0-9a-f]{64})"/;

/** Serializes metadata with its own checksum as the first field. */
export function serializeMetadata(metadata: Omit<CheckpointMetadata, "metadataSha256">): string {
  const text = `${JSON.stringify({ metadataSha256: ZEROS, ...metadata }, null, 2)}\n`;
  const digest = createHash("sha256").update(text).digest("hex");
  return text.replace(`"metadataSha256": "${ZEROS}"`, `"metadataSha256": "${digest}"`);
}

/**
 * Checks the checksum of a `_metadata` text: "ok", "absent" (format version 1 wrote none)
 * or "mismatch".
 */
export function verifyMetadataChecksum(text: string): "ok" | "absent" | "mismatch" {
  const match = CHECKSUM_FIELD.exec(text);
  if (!match) return "absent";
  const zeroed = text.replace(match[0], match[0].replace(match[1] as string, ZEROS));
  return createHash("sha256").update(zeroed).digest("hex") === match[1] ? "ok" : "mismatch";
}

/**
 * The full size of a checkpoint's state in bytes — operator state files and keyed state, each
 * file once, including chunks it references from earlier checkpoints (Flink's `state_size`).
 */
export function stateBytes(metadata: CheckpointMetadata): number {
  const keyed = new Map<string, number>();
  let bytes = 0;
  for (const operator of metadata.operators) {
    for (const subtask of operator.subtasks) {
      bytes += subtask.bytes;
      if (subtask.keyed?.kind === "chunks") for (const c of subtask.keyed.chunks) keyed.set(c.path, c.bytes);
      else if (subtask.keyed?.kind === "sqlite") keyed.set(subtask.keyed.path, subtask.keyed.bytes);
    }
  }
  for (const b of keyed.values()) bytes += b;
  return bytes;
}
