/**
 * Helpers for the tests of savepoint formats, claim modes and restore errors (not exported
 * from the package): a keyed counting pipeline whose source a test can pause, hashing a
 * directory tree, collecting checkpoint metadata as checkpoints complete, capturing logs.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { fileSink } from "../file-sink/file-sink.js";
import type { Job } from "../job.js";
import { createLogger, type Logger } from "../logger.js";
import type { KeyedProcessFunction } from "../pipeline/functions.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { Sink } from "../sink/sink.js";
import { sequenceSource } from "../source/sequence-source.js";
import { operatorState, pausableSource, readMetadata, type SourceThrottle } from "../test-support.js";
import type { CheckpointMetadata } from "./metadata.js";

/** Counts records per key; registers a far event-time and processing-time timer per key. */
const runningCount: KeyedProcessFunction<number, number, { seq: number; count: number }> = {
  processElement(seq, context) {
    const state = context.state<number>("count");
    const count = (state.value() ?? 0) + 1;
    state.update(count);
    context.timers.registerEventTimeTimer(1e12);
    // One per key and hour: timers are part of the keyed state the formats must carry.
    context.timers.registerProcessingTimeTimer((Math.floor(Date.now() / 3_600_000) + 2) * 3_600_000);
    context.emit({ seq, count });
  },
};

export interface CountingPipeline {
  readonly out: string;
  readonly throttle: SourceThrottle;
  /** Keys are seq % keys. Default 16. */
  readonly keys?: number;
  readonly keyedParallelism?: number;
  readonly name?: string;
  /** uid of the keyed operator; default "count". */
  readonly countUid?: string;
  readonly sink?: Sink<{ seq: number; count: number }>;
}

/** sequence (pausable) → keyBy(seq % keys) → running count (uid "count") → file sink (uid "files"). */
export function countingPipeline(options: CountingPipeline): Pipeline {
  const pipeline = Pipeline.create({ name: options.name ?? "counting" });
  const keys = options.keys ?? 16;
  pipeline
    .source(pausableSource(sequenceSource({ batchSize: 10 }), options.throttle), { uid: "seq" })
    .keyBy((n) => n % keys)
    .process(runningCount, { uid: options.countUid ?? "count", parallelism: options.keyedParallelism ?? 2 })
    .sinkTo(options.sink ?? fileSink({ directory: options.out }), { uid: "files" });
  return pipeline;
}

/** Relative path → SHA-256 of every file under `directory`. */
export function hashTree(directory: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else
        hashes.set(relative(directory, path), createHash("sha256").update(readFileSync(path)).digest("hex"));
    }
  };
  walk(directory);
  return hashes;
}

/** Every file and directory under `directory` (itself included) with its permission bits. */
export function modes(directory: string): { path: string; directory: boolean; mode: number }[] {
  const found = [{ path: directory, directory: true, mode: statSync(directory).mode & 0o777 }];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      found.push({ path, directory: entry.isDirectory(), mode: statSync(path).mode & 0o777 });
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(directory);
  return found;
}

/** Keyed state of operator `uid` in a checkpoint or savepoint: "state|keyGroup|key" → value. */
export function keyedState(directory: string, uid = "count"): Map<string, unknown> {
  const state = new Map<string, unknown>();
  for (const subtask of operatorState(directory, uid))
    for (const e of subtask.keyed) state.set(`${e.state}|${e.keyGroup}|${e.key}`, e.value);
  return state;
}

/** Absolute paths of every keyed state file a checkpoint or savepoint references. */
export function keyedFiles(directory: string, metadata = readMetadata(directory)): string[] {
  return metadata.operators.flatMap((o) =>
    o.subtasks.flatMap((s) =>
      s.keyed?.kind === "chunks"
        ? s.keyed.chunks.map((c) => resolve(directory, c.path))
        : s.keyed?.kind === "sqlite"
          ? [resolve(directory, s.keyed.path)]
          : [],
    ),
  );
}

/** Key groups that hold keyed state of operator `uid` in a snapshot. */
export function keyGroupsWithState(metadata: CheckpointMetadata, uid = "count"): number[] {
  const groups = new Set<number>();
  for (const s of metadata.operators.find((o) => o.uid === uid)?.subtasks ?? []) {
    if (s.keyed?.kind !== "chunks") continue;
    for (const c of s.keyed.chunks) for (let g = c.keyGroups[0]; g <= c.keyGroups[1]; g++) groups.add(g);
  }
  return [...groups].sort((a, b) => a - b);
}

export function isInside(path: string, directory: string): boolean {
  return path.startsWith(resolve(directory) + sep);
}

/** Records each checkpoint's directory and metadata the moment it completes (before any pruning). */
export function recordCheckpoints(
  job: Job,
): { id: number; directory: string; metadata: CheckpointMetadata }[] {
  const seen: { id: number; directory: string; metadata: CheckpointMetadata }[] = [];
  job.on("snapshot-written", (id: number, directory: string) => {
    seen.push({ id, directory, metadata: readMetadata(directory) });
  });
  return seen;
}

/** A logger whose lines (JSON) are kept in `lines`. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger("info", { write: (line: string) => void lines.push(line) }), lines };
}
