/**
 * Savepoint formats (docs/savepoint-format.md): a canonical savepoint restores into either
 * state backend with equal state; a native sqlite savepoint restores into sqlite (also at
 * another parallelism) and is refused into memory; a savepoint is relocatable, every file
 * in it is checksummed, and savepoint and checkpoint files are readable by their owner only.
 * The sqlite backend's checkpoints are incremental: unchanged key groups are referenced,
 * not rewritten, and chunks no retained checkpoint references are deleted.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { fileSink } from "../file-sink/file-sink.js";
import { Job, type JobOptions } from "../job.js";
import { keyGroupOf, keyString } from "../state/key-groups.js";
import type { StateBackendKind } from "../state/state-backend.js";
import {
  committedFiles,
  committedSeqs,
  duplicates,
  instrumentedSink,
  operatorState,
  readMetadata,
  type SourceThrottle,
  sequencePosition,
  waitFor,
  workDirectory,
} from "../test-support.js";
import { KEYED_DIRECTORY, SHARED_DIRECTORY } from "./checkpoint-storage.js";
import type { CheckpointMetadata } from "./metadata.js";
import { SavepointBackendMismatchError } from "./restore-errors.js";
import {
  countingPipeline,
  hashTree,
  keyedFiles,
  keyedState,
  modes,
  recordCheckpoints,
} from "./savepoint-test-support.js";

interface Run {
  readonly work: string;
  readonly out: string;
  readonly backend: StateBackendKind;
  readonly throttle: SourceThrottle;
  readonly keyedParallelism?: number;
  readonly restore?: JobOptions["restore"];
  readonly jobId?: string;
}

function job(run: Run, options: Partial<JobOptions> = {}): Job {
  return new Job(
    countingPipeline({
      out: run.out,
      throttle: run.throttle,
      ...(run.keyedParallelism ? { keyedParallelism: run.keyedParallelism } : {}),
    }),
    {
      checkpointDirectory: join(run.work, "chk"),
      checkpointIntervalMs: 40,
      stateBackend: run.backend,
      restartStrategy: { attempts: 0, delayMs: 0 },
      ...(run.restore ? { restore: run.restore } : {}),
      ...(run.jobId ? { jobId: run.jobId } : {}),
      ...options,
    },
  );
}

/** Runs until the source emitted what the throttle allows and a checkpoint covers it, then stops. */
async function runAndStop(run: Run, format: "canonical" | "native" = "canonical"): Promise<string> {
  const j = job(run);
  const checkpoints = recordCheckpoints(j);
  const result = j.run();
  await waitFor(() => run.throttle.emitted >= run.throttle.allowed, "the source to reach its allowance");
  const after = checkpoints.length;
  await waitFor(() => checkpoints.length >= after + 2, "two checkpoints after it");
  const savepoint = await j.stop({ drain: false, format });
  expect((await result).state).toBe("FINISHED");
  return savepoint;
}

/** Key groups of the chunks (by file name) among `files`. */
function keyGroupsOfChunks(metadata: CheckpointMetadata | undefined, files: string[]): number[] {
  const names = new Set(files.map((f) => f.split("/").at(-1)));
  return (metadata?.operators ?? []).flatMap((o) =>
    o.subtasks.flatMap((s) =>
      s.keyed?.kind === "chunks"
        ? s.keyed.chunks.filter((c) => names.has(c.path.split("/").at(-1))).map((c) => c.keyGroups[0])
        : [],
    ),
  );
}

describe("canonical format", () => {
  it("a canonical savepoint of the memory backend restores into sqlite and back with equal state", async () => {
    const work = workDirectory("canonical-roundtrip");
    const out = join(work, "out");
    const throttle = { allowed: 600, emitted: 0 };
    const fromMemory = await runAndStop({ work, out, backend: "memory", throttle });
    const memoryMetadata = readMetadata(fromMemory);
    expect(memoryMetadata).toMatchObject({ format: "canonical", backend: "memory", formatVersion: 2 });
    const state = keyedState(fromMemory);
    // 16 counts, 16 event-time timers, 16 processing-time timers.
    expect([...state.keys()].filter((k) => k.startsWith("count|"))).toHaveLength(16);
    expect([...state.keys()].filter((k) => k.startsWith("__timers/event|"))).toHaveLength(16);
    expect([...state.keys()].filter((k) => k.startsWith("__timers/processing|"))).toHaveLength(16);

    // Into sqlite (at another parallelism), nothing new emitted: the same state comes out.
    const paused = { allowed: 0, emitted: 0 };
    const intoSqlite = await runAndStop({
      work,
      out,
      backend: "sqlite",
      throttle: paused,
      keyedParallelism: 3,
      restore: { path: fromMemory },
    });
    expect(readMetadata(intoSqlite)).toMatchObject({ format: "canonical", backend: "sqlite" });
    expect(keyedState(intoSqlite)).toEqual(state);
    expect(sequencePosition(intoSqlite, "seq").splits).toEqual(sequencePosition(fromMemory, "seq").splits);

    // And back into memory.
    const back = await runAndStop({
      work,
      out,
      backend: "memory",
      throttle: { allowed: 0, emitted: 0 },
      restore: { path: intoSqlite },
    });
    expect(keyedState(back)).toEqual(state);

    // The restored counts go on: after 160 more records every key counted 10 more.
    const more = { allowed: 160, emitted: 0 };
    const last = await runAndStop({ work, out, backend: "sqlite", throttle: more, restore: { path: back } });
    for (const [key, value] of keyedState(last))
      if (key.startsWith("count|")) expect(value).toBe((state.get(key) as number) + 10);
    const seqs = committedSeqs(out);
    expect(duplicates(seqs)).toEqual([]);
    expect(seqs).toEqual(Array.from({ length: 760 }, (_, i) => i));
  });

  it("a savepoint of format version 1 (keyed entries inline, no _metadata checksum) still restores", async () => {
    const work = workDirectory("version-1");
    const out = join(work, "out");
    const savepoint = await runAndStop({
      work,
      out,
      backend: "memory",
      throttle: { allowed: 300, emitted: 0 },
    });
    const state = keyedState(savepoint);
    // Rewrite it as Berth wrote version 1.
    const { metadataSha256: _, ...metadata } = readMetadata(savepoint);
    const subtaskStates = new Map(metadata.operators.map((o) => [o.uid, operatorState(savepoint, o.uid)]));
    const v1 = {
      ...metadata,
      formatVersion: 1,
      operators: metadata.operators.map((o) => ({
        ...o,
        subtasks: o.subtasks.map((h) => {
          const content = Buffer.from(JSON.stringify(subtaskStates.get(o.uid)?.[h.subtask]));
          writeFileSync(join(savepoint, h.file), content);
          return {
            subtask: h.subtask,
            file: h.file,
            sha256: createHash("sha256").update(content).digest("hex"),
            bytes: content.length,
          };
        }),
      })),
    };
    rmSync(join(savepoint, KEYED_DIRECTORY), { recursive: true });
    writeFileSync(join(savepoint, "_metadata"), JSON.stringify(v1, null, 2));
    const restored = await runAndStop({
      work,
      out,
      backend: "sqlite",
      throttle: { allowed: 0, emitted: 0 },
      restore: { path: savepoint },
    });
    expect(keyedState(restored)).toEqual(state);
  });

  it("is relocatable: a moved or copied savepoint restores", async () => {
    const work = workDirectory("relocatable");
    const out = join(work, "out");
    const savepoint = await runAndStop({
      work,
      out,
      backend: "sqlite",
      throttle: { allowed: 300, emitted: 0 },
    });
    const state = keyedState(savepoint);
    const moved = join(work, "elsewhere", "moved");
    cpSync(join(work, "chk", "savepoints"), join(work, "elsewhere"), { recursive: true });
    renameSync(join(work, "elsewhere", savepoint.split("/").at(-1) as string), moved);
    const copy = join(work, "copy");
    cpSync(moved, copy, { recursive: true });
    // The original is gone: only the moved and the copied directory remain.
    renameSync(savepoint, join(work, "gone"));
    for (const path of [moved, copy]) {
      const restored = await runAndStop({
        work,
        out: join(work, `out-${path === moved ? "moved" : "copy"}`),
        backend: "memory",
        throttle: { allowed: 0, emitted: 0 },
        restore: { path },
      });
      expect(keyedState(restored)).toEqual(state);
    }
  });

  it("checksums every file it holds, each by a path relative to the savepoint", async () => {
    const work = workDirectory("checksums");
    const savepoint = await runAndStop({
      work,
      out: join(work, "out"),
      backend: "sqlite",
      throttle: { allowed: 300, emitted: 0 },
    });
    const metadata = readMetadata(savepoint);
    const listed = new Map<string, string>();
    for (const o of metadata.operators) {
      for (const s of o.subtasks) {
        listed.set(s.file, s.sha256);
        if (s.keyed?.kind === "chunks") for (const c of s.keyed.chunks) listed.set(c.path, c.sha256);
        if (s.keyed?.kind === "sqlite") listed.set(s.keyed.path, s.keyed.sha256);
      }
    }
    for (const path of listed.keys()) {
      expect(path.startsWith("/") || path.split("/").includes("..")).toBe(false);
    }
    const files = hashTree(savepoint);
    // _metadata checksums itself; _commits carries its own checksum.
    expect(metadata.metadataSha256).toMatch(/^[0-9a-f]{64}$/);
    files.delete("_metadata");
    files.delete("_commits");
    expect(new Map([...files].sort())).toEqual(new Map([...listed].sort()));
    // Keyed state of the sqlite backend: one chunk per key group with state.
    const chunks = [...files.keys()].filter((f) => f.startsWith(`${KEYED_DIRECTORY}/`));
    expect(chunks.length).toBeGreaterThanOrEqual(16);
  });

  it("creates savepoint and checkpoint files readable by their owner only (0600 files, 0700 directories)", async () => {
    const work = workDirectory("modes");
    const run = {
      work,
      out: join(work, "out"),
      backend: "sqlite" as const,
      throttle: { allowed: 200, emitted: 0 },
    };
    const j = job(run, { jobId: "modes" });
    const result = j.run();
    await waitFor(() => run.throttle.emitted >= 200, "records");
    const canonical = await j.savepoint();
    const native = await j.savepoint(undefined, { format: "native" });
    await waitFor(() => existsSync(join(work, "chk", "modes", SHARED_DIRECTORY)), "shared chunks");
    const stopped = await j.stop({ drain: false });
    await result;
    const checked = [
      ...modes(canonical),
      ...modes(native),
      ...modes(stopped),
      ...modes(join(work, "chk", "modes")),
    ];
    expect(checked.some((e) => e.path.endsWith(".sqlite"))).toBe(true);
    expect(checked.some((e) => e.path.includes(`/${SHARED_DIRECTORY}/`))).toBe(true);
    for (const entry of checked)
      expect([entry.path, entry.mode]).toEqual([entry.path, entry.directory ? 0o700 : 0o600]);
  });
});

describe("native format", () => {
  it("a native sqlite savepoint restores into sqlite, at the same or another parallelism", async () => {
    const work = workDirectory("native");
    const out = join(work, "out");
    const savepoint = await runAndStop(
      { work, out, backend: "sqlite", throttle: { allowed: 500, emitted: 0 } },
      "native",
    );
    const metadata = readMetadata(savepoint);
    expect(metadata).toMatchObject({ format: "native", backend: "sqlite" });
    const natives = readdirSync(savepoint).filter((f) => f.endsWith(".sqlite"));
    expect(natives).toHaveLength(2);
    const state = keyedState(savepoint);
    expect([...state.keys()].filter((k) => k.startsWith("count|"))).toHaveLength(16);
    for (const keyedParallelism of [2, 3]) {
      const restored = await runAndStop({
        work,
        out,
        backend: "sqlite",
        keyedParallelism,
        throttle: { allowed: 0, emitted: 0 },
        restore: { path: savepoint },
      });
      expect(keyedState(restored)).toEqual(state);
    }
  });

  it("a native sqlite savepoint is refused into the memory backend, with a typed error and nothing restored", async () => {
    const work = workDirectory("native-refused");
    const out = join(work, "out");
    const savepoint = await runAndStop(
      { work, out, backend: "sqlite", throttle: { allowed: 300, emitted: 0 } },
      "native",
    );
    const committed = committedFiles(out);
    const before = hashTree(savepoint);
    const result = await job({
      work,
      out,
      backend: "memory",
      throttle: { allowed: 1000, emitted: 0 },
      restore: { path: savepoint },
    }).run();
    expect(result.state).toBe("FAILED");
    expect(result.error).toBeInstanceOf(SavepointBackendMismatchError);
    expect((result.error as SavepointBackendMismatchError).code).toBe("SAVEPOINT_BACKEND_MISMATCH");
    expect(result.error?.message).toContain(savepoint);
    expect(result.error?.message).toContain("--state-backend sqlite");
    expect(committedFiles(out)).toEqual(committed);
    expect(hashTree(savepoint)).toEqual(before);
  });
});

describe("incremental checkpoints of the sqlite backend", () => {
  it("reference unchanged key groups instead of rewriting them, and collect chunks nothing references", async () => {
    const work = workDirectory("incremental");
    const throttle = { allowed: 320, emitted: 0 };
    const j = job({ work, out: join(work, "out"), backend: "sqlite", throttle, jobId: "inc" });
    const checkpoints = recordCheckpoints(j);
    const result = j.run();
    await waitFor(() => throttle.emitted >= 320, "the first records");
    let n = checkpoints.length;
    await waitFor(() => checkpoints.length >= n + 2, "two checkpoints after them");
    const shared = join(work, "chk", "inc", SHARED_DIRECTORY);
    const quiet = checkpoints.at(-1);
    const quietChunks = keyedFiles(quiet?.directory as string, quiet?.metadata);
    expect(quietChunks.length).toBeGreaterThanOrEqual(16);
    for (const f of quietChunks) expect(f.startsWith(`${resolve(shared)}/`)).toBe(true);
    const stats = new Map(quietChunks.map((f) => [f, statSync(f).mtimeMs]));
    // Nothing changes: the next checkpoints reference exactly the same chunks and write none.
    n = checkpoints.length;
    await waitFor(() => checkpoints.length >= n + 2, "two quiet checkpoints");
    const same = checkpoints.at(-1);
    expect(keyedFiles(same?.directory as string, same?.metadata).sort()).toEqual([...quietChunks].sort());
    expect(readdirSync(shared).sort()).toEqual(quietChunks.map((f) => f.split("/").at(-1)).sort());

    // One more batch (seq 320..329, keys 0..9) changes the key groups of those keys: one new
    // chunk for each, every other chunk referenced again.
    throttle.allowed = 330;
    n = checkpoints.length;
    await waitFor(
      () => throttle.emitted >= 330 && checkpoints.length >= n + 2,
      "a checkpoint after one batch",
    );
    expect(throttle.emitted).toBe(330);
    const changed = new Set(Array.from({ length: 10 }, (_, key) => keyGroupOf(keyString(key), 128)));
    const after = checkpoints.at(-1);
    const afterChunks = keyedFiles(after?.directory as string, after?.metadata);
    const added = afterChunks.filter((f) => !stats.has(f));
    const gone = quietChunks.filter((f) => !afterChunks.includes(f));
    expect(added).toHaveLength(changed.size);
    expect(gone).toHaveLength(changed.size);
    expect(new Set(keyGroupsOfChunks(after?.metadata, added))).toEqual(changed);
    for (const f of afterChunks) if (stats.has(f)) expect(statSync(f).mtimeMs).toBe(stats.get(f));
    // The replaced chunk is collected once no retained checkpoint references it.
    await waitFor(() => gone.every((f) => !existsSync(f)), "the replaced chunks to be deleted");
    expect(readdirSync(shared).sort()).toEqual(afterChunks.map((f) => f.split("/").at(-1)).sort());
    await j.stop({ drain: false });
    expect((await result).state).toBe("FINISHED");
  });

  it("after a failover, the restored job references the shared chunks of its latest checkpoint; every seq once", async () => {
    const work = workDirectory("incremental-failover");
    const out = join(work, "out");
    const throttle = { allowed: 400, emitted: 0 };
    let failed = false;
    const sink = instrumentedSink(fileSink<{ seq: number; count: number }>({ directory: out }), {
      beforeWrite(record) {
        if (record.seq === 300 && !failed) {
          failed = true;
          throw new Error("injected write failure");
        }
      },
    });
    const j = new Job(countingPipeline({ out, throttle, sink }), {
      jobId: "failover",
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 40,
      stateBackend: "sqlite",
      restartStrategy: { attempts: 1, delayMs: 0 },
    });
    const checkpoints = recordCheckpoints(j);
    const states: string[] = [];
    j.on("state", (state: string) => states.push(state));
    const result = j.run();
    await waitFor(() => failed && states.includes("RESTARTING") && j.state === "RUNNING", "the failover");
    const restoredAt = checkpoints.length;
    await waitFor(() => checkpoints.length >= restoredAt + 2, "checkpoints after the failover");
    const first = checkpoints[restoredAt];
    const shared = resolve(join(work, "chk", "failover", SHARED_DIRECTORY));
    for (const s of first?.metadata.operators.flatMap((o) => o.subtasks) ?? []) {
      if (s.keyed?.kind === "chunks")
        for (const c of s.keyed.chunks) expect(c.path.startsWith("../../shared/")).toBe(true);
    }
    for (const f of keyedFiles(first?.directory as string, first?.metadata))
      expect(f.startsWith(`${shared}/`)).toBe(true);
    const stopped = await j.stop({ drain: false });
    expect((await result).state).toBe("FINISHED");
    const seqs = committedSeqs(out);
    expect(duplicates(seqs)).toEqual([]);
    expect(seqs).toEqual(Array.from({ length: sequencePosition(stopped, "seq").end }, (_, i) => i));
  });
});
