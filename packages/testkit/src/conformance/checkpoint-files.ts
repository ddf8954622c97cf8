/**
 * What the kit reads from checkpoint storage: the newest complete checkpoint of a job, the
 * sequence position a checkpoint or savepoint holds, and a hash of every file in a
 * directory (to prove a NO_CLAIM restore left a savepoint unchanged).
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { loadRestorePoint } from "@berth/core";
import { SINK_UID, SOURCE_UID } from "./conformance-job.js";

/**
 * What `berth run --from-latest` restores: the newest complete checkpoint
 * (`<checkpointDirectory>/<jobId>/chk-<n>/_metadata`) or savepoint of the job in the default
 * savepoint directory (`<checkpointDirectory>/savepoints`), by checkpoint id.
 */
export async function latestRestorePoint(
  checkpointDirectory: string,
  jobId: string,
): Promise<string | undefined> {
  const candidates: { id: number; directory: string }[] = [];
  const jobDirectory = join(checkpointDirectory, jobId);
  for (const name of await readdir(jobDirectory).catch(() => [] as string[])) {
    const match = /^chk-(\d+)$/.exec(name);
    const directory = join(jobDirectory, name);
    if (match && (await isFile(join(directory, "_metadata"))))
      candidates.push({ id: Number(match[1]), directory });
  }
  const savepoints = join(checkpointDirectory, "savepoints");
  for (const name of await readdir(savepoints).catch(() => [] as string[])) {
    const directory = join(savepoints, name);
    const metadata = await readFile(join(directory, "_metadata"), "utf8").then(
      (text) => JSON.parse(text) as { jobId?: unknown; checkpointId?: unknown },
      () => undefined,
    );
    if (metadata?.jobId === jobId && typeof metadata.checkpointId === "number") {
      candidates.push({ id: metadata.checkpointId, directory });
    }
  }
  return candidates.sort((a, b) => b.id - a.id)[0]?.directory;
}

function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

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
