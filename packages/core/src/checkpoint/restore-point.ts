/**
 * Reading a checkpoint or savepoint back (docs/savepoint-format.md): `_metadata` checked
 * against its own checksum and validated, then every file it references — operator state
 * files, keyed state chunks, native database copies — checked against its SHA-256 before
 * anything is restored, so a restore is all or nothing. Each way it can fail is its own
 * typed error naming the file (restore-errors.ts). Everything but a native database copy (which
 * SQLite opens by path) is read through the checkpoint-storage interface.
 */
import { createHash } from "node:crypto";
import { errorMessage } from "../errors.js";
import { inRange, type KeyGroupRange } from "../state/key-groups.js";
import type { StateEntry } from "../state/state-backend.js";
import { loadStoreScheme, openStore, readLocation } from "./checkpoint-store.js";
import { decodeChunk, hashFile } from "./keyed-chunks.js";
import { resolveLocation, schemeOf } from "./locations.js";
import {
  type CheckpointMetadata,
  COMMITS_FILE,
  checkpointMetadata,
  type KeyedChunk,
  METADATA_FILE,
  METADATA_FORMAT_VERSION,
  type OperatorStateFile,
  verifyMetadataChecksum,
} from "./metadata.js";
import { SavepointCorruptError, SavepointNotFoundError, SavepointVersionError } from "./restore-errors.js";

/** Keyed state of one restored subtask; every path an absolute location, verified. */
export type RestoredKeyed =
  | { readonly kind: "entries"; readonly entries: readonly StateEntry[] }
  | { readonly kind: "chunks"; readonly chunks: readonly KeyedChunk[] }
  | {
      readonly kind: "sqlite";
      readonly path: string;
      readonly sha256: string;
      readonly bytes: number;
      readonly keyGroups: readonly [number, number];
    };

export interface RestoredSubtask {
  readonly subtask: number;
  readonly operatorState: unknown[];
  readonly keyed?: RestoredKeyed;
}

export interface RestorePoint {
  readonly directory: string;
  readonly metadata: CheckpointMetadata;
  /** Ids of committables a stop confirmed committed after this point was written. */
  readonly confirmedCommits: ReadonlySet<string>;
  /** Restored subtask states by operator uid, in subtask order. */
  readonly states: ReadonlyMap<string, RestoredSubtask[]>;
}

const RESTORE_ANOTHER = "restore from another savepoint or checkpoint";
/** A native database copy: SQLite opens it by path, so a local one is hashed where it lies (streamed). */
const NATIVE_FILE = "native state file";

function missing(file: string, what: string, error?: unknown): SavepointCorruptError {
  return new SavepointCorruptError(
    file,
    `${what} ${file} is missing${error ? ` (${errorMessage(error)})` : ""}: the savepoint is incomplete; ${RESTORE_ANOTHER}`,
    error ? { cause: error } : undefined,
  );
}

/** The bytes of a file a restore point references, through the checkpoint storage. */
async function readReferenced(file: string, what: string): Promise<Buffer> {
  const data = await readLocation(file).catch((error: unknown) => {
    throw missing(file, what, error);
  });
  if (data === undefined) throw missing(file, what);
  return data;
}

function digest(data: Buffer): { sha256: string; bytes: number } {
  return { sha256: createHash("sha256").update(data).digest("hex"), bytes: data.length };
}

export async function loadRestorePoint(path: string): Promise<RestorePoint> {
  await loadStoreScheme(path);
  const store = openStore(path);
  const directory = store.location;
  const metadata = await readMetadata(directory);
  const states = new Map<string, RestoredSubtask[]>();
  const verified = new Map<string, { sha256: string; bytes: number }>();
  for (const operator of metadata.operators) {
    const subtasks: RestoredSubtask[] = [];
    for (const handle of operator.subtasks) {
      const file = store.locate(handle.file);
      const data = await readReferenced(file, "state file");
      checkDigest(file, data, handle.sha256, handle.bytes);
      let content: OperatorStateFile;
      try {
        content = JSON.parse(data.toString("utf8")) as OperatorStateFile;
      } catch (error) {
        throw new SavepointCorruptError(file, `state file ${file} is not JSON; ${RESTORE_ANOTHER}`, {
          cause: error,
        });
      }
      const keyed = handle.keyed;
      let restored: RestoredKeyed | undefined;
      if (keyed?.kind === "chunks") {
        const chunks = keyed.chunks.map((c) => ({ ...c, path: resolveLocation(directory, c.path) }));
        for (const chunk of chunks) await verifyFile(chunk.path, chunk, verified, "keyed state chunk");
        restored = { kind: "chunks", chunks };
      } else if (keyed?.kind === "sqlite") {
        const native = { ...keyed, path: resolveLocation(directory, keyed.path) };
        await verifyFile(native.path, native, verified, NATIVE_FILE);
        restored = native;
      } else if (content.keyed) {
        restored = { kind: "entries", entries: content.keyed as StateEntry[] };
      }
      subtasks.push({
        subtask: handle.subtask,
        operatorState: content.operatorState ?? [],
        ...(restored ? { keyed: restored } : {}),
      });
    }
    states.set(operator.uid, subtasks);
  }
  const confirmed = await readConfirmedCommits(store.locate(COMMITS_FILE));
  return { directory, metadata, confirmedCommits: new Set(confirmed), states };
}

/** Reads and checks `_metadata` only (no state file is read). */
export async function readMetadata(directory: string): Promise<CheckpointMetadata> {
  await loadStoreScheme(directory);
  const store = openStore(directory);
  const metadataPath = store.locate(METADATA_FILE);
  let raw: string;
  try {
    const data = await store.read(METADATA_FILE);
    if (data === undefined) throw new Error(`${metadataPath} does not exist`);
    raw = data.toString("utf8");
  } catch (error) {
    // Nothing there at all (an object store has no empty folders): no such savepoint.
    const missingDirectory = (await store.list("").catch(() => [])).length === 0;
    throw new SavepointNotFoundError(
      missingDirectory ? directory : metadataPath,
      missingDirectory
        ? `${directory} does not exist; pass the directory of a savepoint or checkpoint (the path berth stop or berth savepoint printed)`
        : `${metadataPath} is missing: ${directory} is not a savepoint or checkpoint, or one that never completed; pass the directory of a complete one, or use --from-latest`,
      { cause: error },
    );
  }
  if (verifyMetadataChecksum(raw) === "mismatch") {
    throw new SavepointCorruptError(
      metadataPath,
      `${metadataPath} does not match its checksum: it was truncated or altered; ${RESTORE_ANOTHER}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new SavepointCorruptError(
      metadataPath,
      `${metadataPath} is not valid JSON: it is truncated or corrupt; ${RESTORE_ANOTHER}`,
      { cause: error },
    );
  }
  const version = (parsed as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === "number" && version > METADATA_FORMAT_VERSION)
    throw new SavepointVersionError(metadataPath, version, METADATA_FORMAT_VERSION);
  if (typeof version === "number" && version >= 2 && verifyMetadataChecksum(raw) === "absent") {
    throw new SavepointCorruptError(
      metadataPath,
      `${metadataPath} lacks its checksum (metadataSha256): it was altered; ${RESTORE_ANOTHER}`,
    );
  }
  const result = checkpointMetadata.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SavepointCorruptError(
      metadataPath,
      `${metadataPath} is not Berth checkpoint metadata (${issue?.path.join(".")}: ${issue?.message}); ${RESTORE_ANOTHER}`,
    );
  }
  return result.data;
}

function checkDigest(file: string, data: Buffer, sha256: string, bytes: number): void {
  const actual = digest(data).sha256;
  if (data.length !== bytes)
    throw new SavepointCorruptError(
      file,
      `${file} has ${data.length} bytes, _metadata records ${bytes}: it is truncated or altered; ${RESTORE_ANOTHER}`,
    );
  if (actual !== sha256)
    throw new SavepointCorruptError(
      file,
      `${file} does not match its SHA-256 in _metadata: it is corrupt or altered; ${RESTORE_ANOTHER}`,
    );
}

async function verifyFile(
  file: string,
  expected: { sha256: string; bytes: number },
  verified: Map<string, { sha256: string; bytes: number }>,
  what: string,
): Promise<void> {
  const known = verified.get(file);
  const actual =
    known ??
    (what === NATIVE_FILE && schemeOf(file) === undefined
      ? await hashFile(file).catch((error: unknown) => {
          throw missing(file, what, error);
        })
      : digest(await readReferenced(file, what)));
  verified.set(file, actual);
  if (actual.bytes !== expected.bytes)
    throw new SavepointCorruptError(
      file,
      `${what} ${file} has ${actual.bytes} bytes, _metadata records ${expected.bytes}: it is truncated or altered; ${RESTORE_ANOTHER}`,
    );
  if (actual.sha256 !== expected.sha256)
    throw new SavepointCorruptError(
      file,
      `${what} ${file} does not match its SHA-256 in _metadata: it is corrupt or altered; ${RESTORE_ANOTHER}`,
    );
}

async function readConfirmedCommits(file: string): Promise<string[]> {
  const data = await readLocation(file).catch(() => undefined);
  if (data === undefined) return [];
  const text = data.toString("utf8");
  let parsed: { sha256?: unknown; confirmed?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (error) {
    throw new SavepointCorruptError(file, `${file} is not valid JSON: it is truncated or corrupt`, {
      cause: error,
    });
  }
  const confirmed = parsed.confirmed;
  if (
    !Array.isArray(confirmed) ||
    (parsed.sha256 !== undefined &&
      parsed.sha256 !== createHash("sha256").update(JSON.stringify(confirmed)).digest("hex"))
  ) {
    throw new SavepointCorruptError(
      file,
      `${file} does not match its checksum: it was altered; ${RESTORE_ANOTHER}`,
    );
  }
  return confirmed.map(String);
}

/**
 * The keyed entries of `keyed` that fall in `range`; chunks are read again and checked
 * against their SHA-256 (they were verified when the restore point was loaded).
 */
export async function readKeyedEntries(keyed: RestoredKeyed, range: KeyGroupRange): Promise<StateEntry[]> {
  if (keyed.kind === "entries") return keyed.entries.filter((e) => inRange(e.keyGroup, range));
  if (keyed.kind !== "chunks") return [];
  const entries: StateEntry[] = [];
  for (const chunk of keyed.chunks) {
    const [start, end] = chunk.keyGroups;
    if (end < range.start || start > range.end) continue;
    const data = await readReferenced(chunk.path, "keyed state chunk");
    checkDigest(chunk.path, data, chunk.sha256, chunk.bytes);
    for (const e of decodeChunk(data, chunk.path)) if (inRange(e.keyGroup, range)) entries.push(e);
  }
  return entries;
}
