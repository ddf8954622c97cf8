/**
 * Reading a checkpoint or savepoint back: `_metadata` validated, every state file checked
 * against its SHA-256 before anything is restored, so a restore is all or nothing.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BerthError, errorMessage } from "../errors.js";
import {
  type CheckpointMetadata,
  COMMITS_FILE,
  checkpointMetadata,
  METADATA_FILE,
  METADATA_FORMAT_VERSION,
  type SubtaskStateFile,
} from "./metadata.js";

export interface RestorePoint {
  readonly directory: string;
  readonly metadata: CheckpointMetadata;
  /** Ids of committables a stop confirmed committed after this point was written. */
  readonly confirmedCommits: ReadonlySet<string>;
  /** State files by operator uid, in subtask order. */
  readonly states: ReadonlyMap<string, SubtaskStateFile[]>;
}

export async function loadRestorePoint(path: string): Promise<RestorePoint> {
  const directory = resolve(path);
  const metadataPath = join(directory, METADATA_FILE);
  let raw: string;
  try {
    raw = await readFile(metadataPath, "utf8");
  } catch (error) {
    throw new BerthError(
      "RESTORE_FAILED",
      `${metadataPath} cannot be read (${errorMessage(error)}); pass the directory of a complete savepoint or checkpoint`,
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new BerthError(
      "RESTORE_FAILED",
      `${metadataPath} is not valid JSON: it is corrupt or truncated; restore from another savepoint`,
      {
        cause: error,
      },
    );
  }
  const version = (parsed as { formatVersion?: unknown })?.formatVersion;
  if (typeof version === "number" && version > METADATA_FORMAT_VERSION) {
    throw new BerthError(
      "RESTORE_FAILED",
      `${metadataPath} has format version ${version}, newer than this Berth reads (${METADATA_FORMAT_VERSION}); upgrade Berth to restore it`,
    );
  }
  const result = checkpointMetadata.safeParse(parsed);
  if (!result.success) {
    throw new BerthError(
      "RESTORE_FAILED",
      `${metadataPath} is not Berth checkpoint metadata (${result.error.issues[0]?.path.join(".")}: ${result.error.issues[0]?.message}); restore from another savepoint`,
    );
  }
  const metadata = result.data;
  const states = new Map<string, SubtaskStateFile[]>();
  for (const operator of metadata.operators) {
    const files: SubtaskStateFile[] = [];
    for (const handle of operator.subtasks) {
      const file = join(directory, handle.file);
      const data = await readFile(file).catch((error: unknown) => {
        throw new BerthError(
          "RESTORE_FAILED",
          `state file ${file} is missing (${errorMessage(error)}); the savepoint is incomplete`,
          {
            cause: error,
          },
        );
      });
      const sha256 = createHash("sha256").update(data).digest("hex");
      if (sha256 !== handle.sha256 || data.length !== handle.bytes) {
        throw new BerthError(
          "RESTORE_FAILED",
          `state file ${file} does not match its checksum in _metadata: it is corrupt or truncated; restore from another savepoint`,
        );
      }
      files.push(JSON.parse(data.toString("utf8")) as SubtaskStateFile);
    }
    states.set(operator.uid, files);
  }
  const confirmed = await readFile(join(directory, COMMITS_FILE), "utf8").then(
    (text) => (JSON.parse(text) as { confirmed: string[] }).confirmed,
    () => [] as string[],
  );
  return { directory, metadata, confirmedCommits: new Set(confirmed), states };
}
