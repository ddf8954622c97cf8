/**
 * Helpers for the core's own tests (not exported from the package): temporary work
 * directories, reading what the file sink committed, reading a savepoint's state, waiting on
 * a condition, and a sink wrapper that observes or scripts the real file sink's writer and
 * committer.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { decodeChunk } from "./checkpoint/keyed-chunks.js";
import type { CheckpointMetadata, StateFileHandle, SubtaskStateFile } from "./checkpoint/metadata.js";
import type { CommitOutcome } from "./sink/commit-outcome.js";
import type { Committer, Json, Sink, SinkWriter } from "./sink/sink.js";
import type { Source } from "./source/source.js";
import { openSqlite } from "./sqlite.js";

export function workDirectory(name: string): string {
  return mkdtempSync(join(tmpdir(), `berth-${name}-`));
}

/** Visible (committed) files of a file sink's output directory. */
export function committedFiles(directory: string): string[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return [];
  }
  return names.filter((f) => !f.startsWith(".")).sort();
}

/**
 * Hidden (in-progress or pre-committed) files of a file sink's output directory; the hidden
 * directory of prefix locks (`.berth-locks/`) is not a file and not counted.
 */
export function hiddenFiles(directory: string): string[] {
  try {
    return readdirSync(directory, { withFileTypes: true })
      .filter((f) => f.name.startsWith(".") && !f.isDirectory())
      .map((f) => f.name);
  } catch {
    return [];
  }
}

/** Every committed record of a file sink's output directory (JSON Lines). */
export function committedRecords<T = unknown>(directory: string): T[] {
  return committedFiles(directory).flatMap((f) =>
    readFileSync(join(directory, f), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as T),
  );
}

/** Committed `{seq}` records, sorted. */
export function committedSeqs(directory: string): number[] {
  return committedRecords<{ seq: number }>(directory)
    .map((r) => r.seq)
    .sort((a, b) => a - b);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Values that occur more than once. */
export function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) dup.add(v);
    seen.add(v);
  }
  return [...dup];
}

export function readMetadata(directory: string): CheckpointMetadata {
  return JSON.parse(readFileSync(join(directory, "_metadata"), "utf8")) as CheckpointMetadata;
}

/**
 * The state of one operator in a checkpoint or savepoint directory, per subtask: its
 * operator state and its keyed entries (read from canonical chunks or a native database).
 */
export function operatorState(directory: string, uid: string): SubtaskStateFile[] {
  const operator = readMetadata(directory).operators.find((o) => o.uid === uid);
  if (!operator) throw new Error(`${directory} holds no operator ${uid}`);
  return operator.subtasks.map((h) => {
    const file = JSON.parse(readFileSync(join(directory, h.file), "utf8")) as Partial<SubtaskStateFile>;
    return { operatorState: file.operatorState ?? [], keyed: file.keyed ?? keyedEntries(directory, h.keyed) };
  });
}

function keyedEntries(directory: string, keyed: StateFileHandle["keyed"]): SubtaskStateFile["keyed"] {
  if (keyed?.kind === "chunks")
    return keyed.chunks.flatMap((c) => decodeChunk(readFileSync(resolve(directory, c.path)), c.path));
  if (keyed?.kind === "sqlite") {
    const db = openSqlite(resolve(directory, keyed.path), { readonly: true });
    try {
      return db
        .prepare<[], { state: string; key_group: number; key: string; value: string }>(
          "SELECT * FROM state ORDER BY key_group, state, key",
        )
        .all()
        .map((r) => ({ state: r.state, keyGroup: r.key_group, key: r.key, value: JSON.parse(r.value) }));
    } finally {
      db.close();
    }
  }
  return [];
}

/** The sequence source's split positions in a snapshot: `emitted(n)` says whether n was emitted before it. */
export function sequencePosition(
  directory: string,
  uid: string,
): { splits: { split: number; of: number; next: number }[]; emitted(n: number): boolean; end: number } {
  const splits = operatorState(directory, uid).flatMap(
    (f) => f.operatorState as { split: number; of: number; next: number }[],
  );
  const bySplit = new Map(splits.map((s) => [s.split, s]));
  return {
    splits,
    emitted: (n) => {
      const s = bySplit.get(n % (splits[0]?.of ?? 1));
      return s !== undefined && n < s.next;
    },
    end: Math.max(...splits.map((s) => s.next)),
  };
}

/** Waits (polling) until `condition` holds; throws after `timeoutMs` naming `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A gate a test opens and closes; `pass()` waits while it is closed. */
export class Gate {
  private waiters: (() => void)[] = [];
  constructor(private open = true) {}
  close(): void {
    this.open = false;
  }
  release(): void {
    this.open = true;
    for (const w of this.waiters.splice(0)) w();
  }
  /** Number of callers waiting at the closed gate. */
  get waiting(): number {
    return this.waiters.length;
  }
  pass(): Promise<void> | undefined {
    if (this.open) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export interface SinkHooks<T, C extends Json> {
  /** Called (and awaited when it returns a promise) before each record is written. */
  beforeWrite?(record: T): void | Promise<void>;
  /** Called (and awaited when it returns a promise) after each record was written: a slow sink. */
  afterWrite?(record: T): void | Promise<void>;
  /** Called (and awaited when it returns a promise) before the writer flushes at a barrier. */
  beforeFlush?(): void | Promise<void>;
  /** Called when the writer is closed. */
  onClose?(): void;
  /** Replaces the commit: receives the real committer's commit to delegate to. */
  commit?(committable: C, commit: (c: C) => Promise<CommitOutcome>): Promise<CommitOutcome>;
}

/** Wraps a real sink (the file sink) to observe writes or script commit outcomes. */
export function instrumentedSink<T, C extends Json>(inner: Sink<T, C>, hooks: SinkHooks<T, C>): Sink<T, C> {
  return {
    ...inner,
    async createWriter(context, restored) {
      const writer = await inner.createWriter(context, restored);
      const wrapped: SinkWriter<T, C> = {
        write(record) {
          const write = () => {
            const written = writer.write(record);
            if (!hooks.afterWrite) return written;
            return Promise.resolve(written).then(() => hooks.afterWrite?.(record));
          };
          const before = hooks.beforeWrite?.(record);
          return before ? before.then(write) : write();
        },
        flush: async (end) => {
          await hooks.beforeFlush?.();
          await writer.flush(end);
        },
        prepareCommit: () => writer.prepareCommit(),
        close: () => {
          hooks.onClose?.();
          return writer.close();
        },
      };
      if (writer.snapshotState) wrapped.snapshotState = (id) => writer.snapshotState?.(id) as Json;
      if (writer.commitsSettled) wrapped.commitsSettled = (c) => writer.commitsSettled?.(c);
      return wrapped;
    },
    async createCommitter(context) {
      const committer = await inner.createCommitter(context);
      const commitHook = hooks.commit;
      const wrapped: Committer<C> = {
        commit: commitHook ? (c) => commitHook(c, (x) => committer.commit(x)) : (c) => committer.commit(c),
        close: () => committer.close(),
      };
      return wrapped;
    },
  };
}

/** How far a {@link pausableSource} may go: it emits while `emitted < allowed`. */
export interface SourceThrottle {
  allowed: number;
  emitted: number;
}

/**
 * A source that stops fetching once `throttle.emitted` reaches `throttle.allowed` (idle
 * polls return no records, so barriers still pass). With a batch size dividing `allowed`,
 * the source stops at exactly `allowed` records.
 */
export function pausableSource<T>(inner: Source<T>, throttle: SourceThrottle): Source<T> {
  return {
    ...inner,
    async createReader(context, splits) {
      const reader = await inner.createReader(context, splits);
      return {
        async poll() {
          if (throttle.emitted >= throttle.allowed) {
            await sleep(2);
            return { records: [] };
          }
          const polled = await reader.poll();
          if ("records" in polled) throttle.emitted += polled.records.length;
          return polled;
        },
        snapshotSplits: (id) => reader.snapshotSplits(id),
        close: () => reader.close(),
      };
    },
  };
}

/** A source whose subtask `subtask` waits at `gate` before each fetch: a source stalled fetching. */
export function gatedSource<T>(inner: Source<T>, gate: Gate, subtask: number): Source<T> {
  return {
    ...inner,
    async createReader(context, splits) {
      const reader = await inner.createReader(context, splits);
      return {
        async poll() {
          if (context.subtask === subtask) await gate.pass();
          return reader.poll();
        },
        snapshotSplits: (id) => reader.snapshotSplits(id),
        close: () => reader.close(),
      };
    },
  };
}

/** Wraps a source to count the records its readers return. */
export function countingSource<T>(inner: Source<T>, counter: { polled: number }): Source<T> {
  return {
    ...inner,
    async createReader(context, splits) {
      const reader = await inner.createReader(context, splits);
      return {
        async poll() {
          const polled = await reader.poll();
          if ("records" in polled) counter.polled += polled.records.length;
          return polled;
        },
        snapshotSplits: (id) => reader.snapshotSplits(id),
        close: () => reader.close(),
      };
    },
  };
}
