/**
 * Compatibility errors: every way a savepoint can be unusable for a job gets its own typed
 * error naming the file and saying what to do — and nothing is restored: the savepoint's
 * pending committables stay uncommitted (and are not aborted), the savepoint is not touched.
 * A control restore of the intact savepoint commits them, so each check can fail.
 */
import { cpSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Job, type JobOptions, type JobResult } from "../job.js";
import type { StateBackendKind } from "../state/state-backend.js";
import { committedFiles, hiddenFiles, readMetadata, waitFor, workDirectory } from "../test-support.js";
import { CLAIM_FILE, COMMITS_FILE, METADATA_FILE, serializeMetadata } from "./metadata.js";
import {
  NonRestoredStateError,
  RestoreError,
  SavepointBackendMismatchError,
  SavepointClaimedError,
  SavepointCorruptError,
  SavepointNotFoundError,
  SavepointPipelineMismatchError,
  SavepointVersionError,
} from "./restore-errors.js";
import { type CountingPipeline, countingPipeline, hashTree } from "./savepoint-test-support.js";

/**
 * A savepoint whose committables are still pending: taken while running, with no periodic
 * checkpoint to commit them, then the job canceled. Their files stay hidden in `out`.
 */
async function pendingSavepoint(work: string, backend: StateBackendKind, format: "canonical" | "native") {
  const out = join(work, "out");
  const throttle = { allowed: 100, emitted: 0 };
  const job = new Job(countingPipeline({ out, throttle }), {
    checkpointDirectory: join(work, "chk"),
    checkpointIntervalMs: 600_000,
    stateBackend: backend,
  });
  const run = job.run();
  await waitFor(() => throttle.emitted >= 100, "records");
  const savepoint = await job.savepoint(join(work, "original"), { format });
  await job.cancel();
  expect((await run).state).toBe("CANCELED");
  expect(readMetadata(savepoint).sinks[0]?.committables.length).toBeGreaterThan(0);
  expect(committedFiles(out)).toEqual([]);
  expect(hiddenFiles(out).length).toBeGreaterThan(0);
  return { out, savepoint };
}

interface Case {
  readonly work: string;
  readonly out: string;
  readonly savepoint: string;
}

/** A fresh copy of the savepoint for one case. */
function copyOf(base: { work: string; savepoint: string }, name: string): string {
  const copy = join(base.work, "cases", name);
  cpSync(base.savepoint, copy, { recursive: true });
  return copy;
}

function restore(
  c: Case,
  path: string,
  options: {
    backend?: StateBackendKind;
    pipeline?: Partial<CountingPipeline>;
    restore?: Partial<JobOptions["restore"]>;
  } = {},
): Job {
  return new Job(
    countingPipeline({ out: c.out, throttle: { allowed: 0, emitted: 0 }, ...options.pipeline }),
    {
      checkpointDirectory: join(c.work, "chk"),
      checkpointIntervalMs: 30,
      stateBackend: options.backend ?? "memory",
      restartStrategy: { attempts: 0, delayMs: 0 },
      restore: { path, ...options.restore },
    },
  );
}

/** The restore fails with `type`; nothing of the savepoint was committed, aborted or changed. */
async function expectRefused<E extends RestoreError>(
  c: Case,
  path: string,
  job: Job,
  type: new (...args: never[]) => E,
  check: (error: E) => void,
): Promise<void> {
  const hidden = hiddenFiles(c.out).sort();
  const before = hashTree(path.endsWith("missing") ? c.savepoint : path);
  const result: JobResult = await job.run();
  expect(result.state).toBe("FAILED");
  expect(result.error).toBeInstanceOf(type);
  expect(result.error).toBeInstanceOf(RestoreError);
  check(result.error as E);
  expect(committedFiles(c.out)).toEqual([]);
  expect(hiddenFiles(c.out).sort()).toEqual(hidden);
  expect(hashTree(path.endsWith("missing") ? c.savepoint : path)).toEqual(before);
}

/** The control: restoring `path` works and commits the pending committables. */
async function expectRestores(c: Case, job: Job): Promise<void> {
  const run = job.run();
  await waitFor(
    () => committedFiles(c.out).length > 0 && job.state === "RUNNING",
    "the restored committables to commit",
  );
  await job.stop({ drain: false });
  expect((await run).state).toBe("FINISHED");
}

function flipByte(file: string, at: (length: number) => number): void {
  const bytes = readFileSync(file);
  const i = at(bytes.length);
  bytes[i] = (bytes[i] as number) ^ 0x01;
  writeFileSync(file, bytes);
}

function firstChunk(savepoint: string): string {
  const operator = readMetadata(savepoint).operators.find((o) => o.uid === "count");
  const keyed = operator?.subtasks.find(
    (s) => s.keyed?.kind === "chunks" && s.keyed.chunks.length > 0,
  )?.keyed;
  if (keyed?.kind !== "chunks") throw new Error("no chunk");
  return join(savepoint, keyed.chunks[0]?.path as string);
}

describe("restore errors", () => {
  it("each unusable savepoint is refused with its own typed error naming the file; nothing is restored", async () => {
    const work = workDirectory("restore-errors");
    const base = await pendingSavepoint(work, "memory", "canonical");
    const c: Case = { work, out: base.out, savepoint: base.savepoint };

    // Missing _metadata (an unfinished or foreign directory).
    const noMetadata = copyOf(c, "no-metadata");
    rmSync(join(noMetadata, METADATA_FILE));
    await expectRefused(c, noMetadata, restore(c, noMetadata), SavepointNotFoundError, (e) => {
      expect(e.code).toBe("SAVEPOINT_NOT_FOUND");
      expect(e.file).toBe(join(noMetadata, METADATA_FILE));
      expect(e.message).toContain("--from-latest");
    });

    // No such directory.
    const missing = join(work, "cases", "missing");
    await expectRefused(c, missing, restore(c, missing), SavepointNotFoundError, (e) => {
      expect(e.file).toBe(missing);
      expect(e.message).toContain("does not exist");
    });

    // An altered byte in _metadata that keeps it valid JSON: one letter of the pipeline name.
    const flippedMetadata = copyOf(c, "flipped-metadata");
    const text = readFileSync(join(flippedMetadata, METADATA_FILE), "utf8");
    writeFileSync(join(flippedMetadata, METADATA_FILE), text.replace('"counting"', '"countinf"'));
    await expectRefused(c, flippedMetadata, restore(c, flippedMetadata), SavepointCorruptError, (e) => {
      expect(e.code).toBe("SAVEPOINT_CORRUPT");
      expect(e.file).toBe(join(flippedMetadata, METADATA_FILE));
      expect(e.message).toContain("checksum");
    });

    // Truncated _metadata.
    const truncatedMetadata = copyOf(c, "truncated-metadata");
    truncateSync(join(truncatedMetadata, METADATA_FILE), Math.floor(text.length / 2));
    await expectRefused(c, truncatedMetadata, restore(c, truncatedMetadata), SavepointCorruptError, (e) => {
      expect(e.file).toBe(join(truncatedMetadata, METADATA_FILE));
    });

    // A flipped byte in a keyed state chunk.
    const flippedChunk = copyOf(c, "flipped-chunk");
    const chunk = firstChunk(flippedChunk);
    flipByte(chunk, (n) => Math.floor(n / 2));
    await expectRefused(c, flippedChunk, restore(c, flippedChunk), SavepointCorruptError, (e) => {
      expect(e.file).toBe(chunk);
      expect(e.message).toContain("SHA-256");
      expect(e.message).toContain("restore from another savepoint");
    });

    // A truncated chunk, and a missing one.
    const truncatedChunk = copyOf(c, "truncated-chunk");
    const chunk2 = firstChunk(truncatedChunk);
    truncateSync(chunk2, 10);
    await expectRefused(c, truncatedChunk, restore(c, truncatedChunk), SavepointCorruptError, (e) => {
      expect(e.file).toBe(chunk2);
      expect(e.message).toContain("truncated");
    });
    const missingChunk = copyOf(c, "missing-chunk");
    const chunk3 = firstChunk(missingChunk);
    renameSync(chunk3, `${chunk3}.away`);
    await expectRefused(c, missingChunk, restore(c, missingChunk), SavepointCorruptError, (e) => {
      expect(e.file).toBe(chunk3);
      expect(e.message).toContain("missing");
    });

    // A flipped byte in the source's operator state file.
    const flippedState = copyOf(c, "flipped-state");
    const sourceFile = join(flippedState, "seq-0.state.json");
    flipByte(sourceFile, (n) => n - 3);
    await expectRefused(c, flippedState, restore(c, flippedState), SavepointCorruptError, (e) => {
      expect(e.file).toBe(sourceFile);
    });

    // An altered _commits.
    const badCommits = copyOf(c, "bad-commits");
    writeFileSync(
      join(badCommits, COMMITS_FILE),
      JSON.stringify({ sha256: "0".repeat(64), confirmed: ["x"] }),
    );
    await expectRefused(c, badCommits, restore(c, badCommits), SavepointCorruptError, (e) => {
      expect(e.file).toBe(join(badCommits, COMMITS_FILE));
    });

    // A newer format version (written whole, with a valid checksum, by a future Berth).
    const newer = copyOf(c, "newer");
    const { metadataSha256: _, ...metadata } = readMetadata(newer);
    writeFileSync(join(newer, METADATA_FILE), serializeMetadata({ ...metadata, formatVersion: 99 }));
    await expectRefused(c, newer, restore(c, newer), SavepointVersionError, (e) => {
      expect(e.code).toBe("SAVEPOINT_VERSION_UNSUPPORTED");
      expect(e.file).toBe(join(newer, METADATA_FILE));
      expect(e.message).toContain("version 99");
      expect(e.message).toContain("newer Berth");
    });

    // A savepoint of another pipeline: refused unless the rename is allowed.
    const renamedPipeline = copyOf(c, "renamed-pipeline");
    await expectRefused(
      c,
      renamedPipeline,
      restore(c, renamedPipeline, { pipeline: { name: "renamed" } }),
      SavepointPipelineMismatchError,
      (e) => {
        expect(e.code).toBe("SAVEPOINT_PIPELINE_MISMATCH");
        expect(e.message).toContain('pipeline "counting"');
        expect(e.message).toContain("--allow-pipeline-rename");
      },
    );

    // State of an operator the pipeline no longer has: refused unless dropping it is allowed.
    const orphaned = copyOf(c, "orphaned");
    await expectRefused(
      c,
      orphaned,
      restore(c, orphaned, { pipeline: { countUid: "counter-v2" } }),
      NonRestoredStateError,
      (e) => {
        expect(e.code).toBe("STATE_NOT_RESTORED");
        expect(e.uids).toEqual(["count"]);
        expect(e.message).toContain("--allow-non-restored-state");
      },
    );

    // Claimed by another job.
    const claimed = copyOf(c, "claimed");
    writeFileSync(
      join(claimed, CLAIM_FILE),
      JSON.stringify({ jobId: "someone", claimedAt: "2026-01-01T00:00:00Z", pid: 1 }),
    );
    await expectRefused(c, claimed, restore(c, claimed), SavepointClaimedError, (e) => {
      expect(e.file).toBe(join(claimed, CLAIM_FILE));
      expect(e.claimedBy).toBe("someone");
    });

    // The controls: with the flags, the renamed pipeline and the orphaned state restore, and
    // commit the pending committables — so every refusal above did hold something back.
    await expectRestores(
      c,
      restore(c, orphaned, {
        pipeline: { countUid: "counter-v2" },
        restore: { allowNonRestoredState: true },
      }),
    );
    expect(readdirSync(c.out).length).toBeGreaterThan(0);
  });

  it("a renamed pipeline restores with allowPipelineRename", async () => {
    const work = workDirectory("rename-allowed");
    const base = await pendingSavepoint(work, "memory", "canonical");
    const c: Case = { work, out: base.out, savepoint: base.savepoint };
    await expectRestores(
      c,
      restore(c, base.savepoint, { pipeline: { name: "renamed" }, restore: { allowPipelineRename: true } }),
    );
  });

  it("a native sqlite savepoint is refused into memory with nothing restored, and restores into sqlite", async () => {
    const work = workDirectory("native-errors");
    const base = await pendingSavepoint(work, "sqlite", "native");
    const c: Case = { work, out: base.out, savepoint: base.savepoint };
    const intoMemory = copyOf(c, "into-memory");
    await expectRefused(
      c,
      intoMemory,
      restore(c, intoMemory, { backend: "memory" }),
      SavepointBackendMismatchError,
      (e) => {
        expect(e.code).toBe("SAVEPOINT_BACKEND_MISMATCH");
        expect(e.file).toBe(intoMemory);
      },
    );
    // A flipped byte in a native database copy.
    const flipped = copyOf(c, "flipped-native");
    const native = join(flipped, readdirSync(flipped).find((f) => f.endsWith(".sqlite")) as string);
    flipByte(native, (n) => n - 100);
    await expectRefused(
      c,
      flipped,
      restore(c, flipped, { backend: "sqlite" }),
      SavepointCorruptError,
      (e) => {
        expect(e.file).toBe(native);
      },
    );
    await expectRestores(c, restore(c, base.savepoint, { backend: "sqlite" }));
  });
});
