/**
 * Canonical keyed state chunks (docs/savepoint-format.md): a JSON Lines file holding the
 * entries of one contiguous key group range — a header line, then one entry per line.
 * Chunks are content-addressed: named by the SHA-256 of their bytes, so an unchanged chunk
 * is referenced again instead of being rewritten, and a chunk file is never modified.
 */
import { createHash, randomUUID } from "node:crypto";
import { open, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Json } from "../sink/sink.js";
import type { RawStateEntry, StateEntry } from "../state/state-backend.js";
import { writeDurably } from "./atomic-file.js";
import { SavepointCorruptError } from "./restore-errors.js";

export const CHUNK_FORMAT = "berth-keyed-chunk";
export const CHUNK_VERSION = 1;
export const CHUNK_SUFFIX = ".jsonl";

export interface EncodedChunk {
  readonly keyGroups: [number, number];
  readonly entries: number;
  readonly data: Buffer;
  readonly sha256: string;
}

/** Encodes entries (already ordered by key group, state, key) of key groups `start..end`. */
export function encodeChunk(start: number, end: number, entries: readonly RawStateEntry[]): EncodedChunk {
  const lines = [JSON.stringify({ format: CHUNK_FORMAT, version: CHUNK_VERSION, keyGroups: [start, end] })];
  for (const e of entries) {
    lines.push(
      `{"keyGroup":${e.keyGroup},"state":${JSON.stringify(e.state)},"key":${JSON.stringify(e.key)},"value":${e.value}}`,
    );
  }
  const data = Buffer.from(`${lines.join("\n")}\n`);
  return {
    keyGroups: [start, end],
    entries: entries.length,
    data,
    sha256: createHash("sha256").update(data).digest("hex"),
  };
}

/** Splits ordered entries into one chunk per non-empty key group. */
export function chunksPerKeyGroup(entries: Iterable<RawStateEntry>): EncodedChunk[] {
  const chunks: EncodedChunk[] = [];
  let group: RawStateEntry[] = [];
  for (const entry of entries) {
    if (group.length > 0 && (group[0] as RawStateEntry).keyGroup !== entry.keyGroup) {
      const kg = (group[0] as RawStateEntry).keyGroup;
      chunks.push(encodeChunk(kg, kg, group));
      group = [];
    }
    group.push(entry);
  }
  if (group.length > 0) {
    const kg = (group[0] as RawStateEntry).keyGroup;
    chunks.push(encodeChunk(kg, kg, group));
  }
  return chunks;
}

/** Decodes a verified chunk; `file` names it in errors. */
export function decodeChunk(data: Buffer, file: string): StateEntry[] {
  const lines = data.toString("utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const corrupt = (why: string, cause?: unknown) =>
    new SavepointCorruptError(
      file,
      `keyed state chunk ${file} ${why}; it is not a chunk this Berth wrote — restore from another savepoint`,
      cause === undefined ? undefined : { cause },
    );
  let header: { format?: unknown; version?: unknown; keyGroups?: unknown };
  try {
    header = JSON.parse(lines[0] ?? "") as typeof header;
  } catch (error) {
    throw corrupt("has no header line", error);
  }
  if (header.format !== CHUNK_FORMAT) throw corrupt("has no berth-keyed-chunk header");
  if (typeof header.version !== "number" || header.version > CHUNK_VERSION)
    throw corrupt(`has chunk version ${String(header.version)}, newer than ${CHUNK_VERSION}`);
  const entries: StateEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    let e: { keyGroup?: unknown; state?: unknown; key?: unknown; value?: unknown };
    try {
      e = JSON.parse(lines[i] as string) as typeof e;
    } catch (error) {
      throw corrupt(`line ${i + 1} is not JSON`, error);
    }
    if (typeof e.keyGroup !== "number" || typeof e.state !== "string" || typeof e.key !== "string")
      throw corrupt(`line ${i + 1} is not a state entry`);
    entries.push({ keyGroup: e.keyGroup, state: e.state, key: e.key, value: e.value as Json });
  }
  return entries;
}

export function chunkFileName(sha256: string): string {
  return `${sha256}${CHUNK_SUFFIX}`;
}

/**
 * Writes a chunk into `directory` under its content address unless a file of that name is
 * already there (written whole: temp file, fsync, rename). The caller fsyncs `directory`.
 * Returns whether it wrote.
 */
export async function writeChunk(directory: string, chunk: EncodedChunk): Promise<boolean> {
  const path = join(directory, chunkFileName(chunk.sha256));
  if (await exists(path)) return false;
  const temp = join(directory, `.${chunk.sha256}.${randomUUID()}.tmp`);
  try {
    await writeDurably(temp, chunk.data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return true;
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** SHA-256 and size of a file, streamed (state files may be large). */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const handle = await open(path, "r");
  try {
    const hash = createHash("sha256");
    let bytes = 0;
    const buffer = Buffer.allocUnsafe(1 << 20);
    while (true) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
    }
    return { sha256: hash.digest("hex"), bytes };
  } finally {
    await handle.close();
  }
}
