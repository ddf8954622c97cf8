/**
 * What the kit reads from checkpoint storage: the sequence position a checkpoint or savepoint
 * holds, and a hash of every file in a directory (to prove a NO_CLAIM restore left a savepoint
 * unchanged). The newest point of a job is the core's `latestRestorePoint`, which
 * `berth run --from-latest` uses.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { loadRestorePoint } from "@berth/core/testing";
import { SINK_UID, SOURCE_UID } from "./conformance-job.js";

export interface Position {
  readonly checkpointId: number;
  /** Every seq the source had emitted before this checkpoint's barrier. */
  readonly emitted: ReadonlySet<number>;
  /** Committables of the sink under test stored in it. */
  readonly committables: number;
}

/** Reads the source position stored in a checkpoint or savepoint. */
export async function positionOf(directory: string): Promise<Position> {
  const point = await loadRestorePoint(directory);
  const emitted = new Set<number>();
  for (const file of point.states.get(SOURCE_UID) ?? []) {
    for (const split of file.operatorState as { split: number; of: number; next: number }[]) {
      for (let seq = split.split; seq < split.next; seq += split.of) emitted.add(seq);
    }
  }
  const sink = point.metadata.sinks.find((s) => s.uid === SINK_UID);
  const committables = (sink?.committables ?? []).filter((c) => !point.confirmedCommits.has(c.id)).length;
  return { checkpointId: point.metadata.checkpointId, emitted, committables };
}

/** Relative path → SHA-256 of every file under `directory`. */
export async function hashTree(directory: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else
        hashes.set(
          relative(directory, path),
          createHash("sha256")
            .update(await readFile(path))
            .digest("hex"),
        );
    }
  }
  await walk(directory);
  return hashes;
}

/** Differences between two trees, e.g. `changed _metadata`, `added x`, `removed y`. */
export function diffTrees(before: Map<string, string>, after: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [file, hash] of before) {
    const now = after.get(file);
    if (now === undefined) changes.push(`removed ${file}`);
    else if (now !== hash) changes.push(`changed ${file}`);
  }
  for (const file of after.keys()) if (!before.has(file)) changes.push(`added ${file}`);
  return changes;
}
