/**
 * DESIGN.md sink contract rule 8 against the file sink and the files on disk: the core parses
 * every stored committable with the sink's codec at restore — an older version is upgraded and
 * committed exactly once; an unreadable one refuses the restore with a typed error naming the
 * savepoint, the sink uid and the subtask, before ANY sink commits or aborts anything (the
 * output directories are byte-for-byte what they were).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CheckpointMetadata, serializeMetadata } from "../checkpoint/metadata.js";
import { SinkStateUnreadableError } from "../checkpoint/restore-errors.js";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { sequenceSource } from "../source/sequence-source.js";
import { committedSeqs, hiddenFiles, range, readMetadata, waitFor, workDirectory } from "../test-support.js";

/** Two file sinks behind one source, so a refusal must hold off the first sink's commits too. */
function pipeline(outA: string, outB: string, count?: number): Pipeline {
  const p = Pipeline.create({ name: "codecs" });
  const records = p
    .source(
      sequenceSource({ ...(count !== undefined ? { count } : { ratePerSecond: 5_000 }), batchSize: 50 }),
      {
        uid: "seq",
        parallelism: 2,
      },
    )
    .map((seq) => ({ seq }), { uid: "to-record", parallelism: 2 });
  records.sinkTo(fileSink({ directory: outA }), { uid: "a", parallelism: 2 });
  records.sinkTo(fileSink({ directory: outB }), { uid: "b", parallelism: 2 });
  return p;
}

/** A running job's savepoint (pending committables in both sinks), then the job canceled. */
async function savepointWithPendingCommittables(work: string, outA: string, outB: string): Promise<string> {
  const job = new Job(pipeline(outA, outB), {
    checkpointDirectory: join(work, "chk"),
    checkpointIntervalMs: 600_000,
  });
  const run = job.run();
  await waitFor(() => hiddenFiles(outA).length >= 2 && hiddenFiles(outB).length >= 2, "both sinks to write");
  const savepoint = await job.savepoint(join(work, "savepoints"));
  await job.cancel();
  expect((await run).state).toBe("CANCELED");
  return savepoint;
}

function rewriteMetadata(savepoint: string, change: (m: CheckpointMetadata) => void): void {
  const { metadataSha256: _, ...metadata } = readMetadata(savepoint);
  change(metadata as CheckpointMetadata);
  writeFileSync(join(savepoint, "_metadata"), serializeMetadata(metadata));
}

/** Every file the sink wrote (not the job's lock directory) with its content: what a refused restore must leave alone. */
function contents(directory: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(directory, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => [entry.name, readFileSync(join(directory, entry.name), "utf8")]),
  );
}

describe("stored committables are parsed once, at restore, by the sink's codec", () => {
  it("an unreadable committable refuses the restore, naming savepoint, uid and subtask; nothing is committed or aborted", async () => {
    const work = workDirectory("codec-refused");
    const [outA, outB] = [join(work, "a"), join(work, "b")];
    const savepoint = await savepointWithPendingCommittables(work, outA, outB);
    const bad = readMetadata(savepoint)
      .sinks.find((s) => s.uid === "b")
      ?.committables.at(-1);
    expect(bad).toBeDefined();
    rewriteMetadata(savepoint, (m) => {
      const stored = m.sinks.find((s) => s.uid === "b")?.committables.at(-1);
      if (stored) stored.committable = { ...(stored.committable as object), records: "many" };
    });
    const before = { a: contents(outA), b: contents(outB) };
    expect(Object.keys(before.a).some((f) => !f.startsWith("."))).toBe(false);

    const result = await new Job(pipeline(outA, outB), {
      checkpointDirectory: join(work, "chk2"),
      restore: { path: savepoint },
    }).run();

    expect(result.state).toBe("FAILED");
    expect(result.error).toBeInstanceOf(SinkStateUnreadableError);
    expect(result.error).toMatchObject({ code: "SINK_STATE_UNREADABLE", uid: "b", subtask: bad?.subtask });
    expect(result.error?.message).toContain(savepoint);
    expect(result.error?.message).toContain(`sink "b" subtask ${bad?.subtask}`);
    expect(result.error?.message).toContain("`records`");
    // Sink "a" comes first and its committables are fine: still nothing of it was committed or deleted.
    expect({ a: contents(outA), b: contents(outB) }).toEqual(before);
  });

  it("a committable of an unknown version is refused the same way", async () => {
    const work = workDirectory("codec-version");
    const [outA, outB] = [join(work, "a"), join(work, "b")];
    const savepoint = await savepointWithPendingCommittables(work, outA, outB);
    rewriteMetadata(savepoint, (m) => {
      const b = m.sinks.find((s) => s.uid === "b");
      if (b) b.committableVersion = 9;
    });
    const before = { a: contents(outA), b: contents(outB) };
    const result = await new Job(pipeline(outA, outB), {
      checkpointDirectory: join(work, "chk2"),
      restore: { path: savepoint },
    }).run();
    expect(result.error).toBeInstanceOf(SinkStateUnreadableError);
    expect(result.error?.message).toMatch(/sink "b" subtask \d \(version 9\).*version 9 are unknown/);
    expect({ a: contents(outA), b: contents(outB) }).toEqual(before);
  });

  it("a committable of an older version (file committable v1, no directory) is upgraded and committed exactly once", async () => {
    const work = workDirectory("codec-upgrade");
    const [outA, outB] = [join(work, "a"), join(work, "b")];
    const savepoint = await savepointWithPendingCommittables(work, outA, outB);
    rewriteMetadata(savepoint, (m) => {
      for (const sink of m.sinks) {
        sink.committableVersion = 1;
        for (const c of sink.committables) {
          const { directory: _, ...v1 } = c.committable as Record<string, unknown>;
          c.committable = v1;
        }
      }
    });
    const result = await new Job(pipeline(outA, outB, 6_000), {
      checkpointDirectory: join(work, "chk2"),
      checkpointIntervalMs: 100,
      restore: { path: savepoint },
    }).run();
    expect(result.state).toBe("FINISHED");
    for (const out of [outA, outB]) {
      expect(committedSeqs(out)).toEqual(range(0, 6_000));
      expect(hiddenFiles(out)).toEqual([]);
    }
  });
});
