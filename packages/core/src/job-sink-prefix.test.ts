/**
 * The sink prefix over a job's life, against the real file sink (counted by reading the
 * directory): a restored job keeps the prefix its savepoint recorded, a sink the savepoint does
 * not know gets the default, a prefix whose longest name does not fit the target is refused at
 * start before anything is aborted, and two sinks of one kind cannot share a prefix.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { capturingLogger } from "./checkpoint/savepoint-test-support.js";
import { fileSink } from "./file-sink/file-sink.js";
import { Job } from "./job.js";
import { Pipeline } from "./pipeline/pipeline.js";
import { defaultSinkPrefix, SinkPrefixError } from "./sink/sink-prefix.js";
import { sequenceSource } from "./source/sequence-source.js";
import {
  committedFiles,
  duplicates,
  hiddenFiles,
  pausableSource,
  range,
  readMetadata,
  type SourceThrottle,
  sequencePosition,
  waitFor,
  workDirectory,
} from "./test-support.js";

/** Committed seqs of the files whose name starts with `<prefix>-`. */
function seqsUnder(directory: string, prefix: string): number[] {
  return committedFiles(directory)
    .filter((f) => f.startsWith(`${prefix}-`))
    .flatMap((f) =>
      readFileSync(join(directory, f), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { seq: number }).seq),
    )
    .sort((a, b) => a - b);
}

describe("a restored job", () => {
  it("keeps the sink prefix its savepoint recorded, though the default is another now; a sink the savepoint lacks gets the default", async () => {
    const work = workDirectory("keep-prefix");
    const out = join(work, "out");
    const audit = join(work, "audit");
    const checkpointDirectory = join(work, "chk");
    // What the release before ADR 0005 derived by default, recorded in its savepoints.
    const recorded = `seq-files-${createHash("sha256")
      .update(`file://${resolve(out)}`)
      .digest("hex")
      .slice(0, 8)}`;
    expect(defaultSinkPrefix("seq", "files", `file://${resolve(out)}`)).not.toBe(recorded);

    const throttle: SourceThrottle = { allowed: 1000, emitted: 0 };
    const first = Pipeline.create({ name: "seq" });
    first
      .source(pausableSource(sequenceSource({ count: 3000, batchSize: 50 }), throttle), { uid: "seq" })
      .map((n) => ({ seq: n }), { uid: "to-json" })
      .sinkTo(fileSink({ directory: out }), { uid: "files", sinkPrefix: recorded });
    const job = new Job(first, { checkpointDirectory, checkpointIntervalMs: 50 });
    const run = job.run();
    await waitFor(() => throttle.emitted >= 1000, "the source to reach 1000");
    const savepoint = await job.stop({ drain: false });
    expect((await run).state).toBe("FINISHED");
    expect(readMetadata(savepoint).sinks.map((s) => [s.uid, s.sinkPrefix])).toEqual([["files", recorded]]);
    // A crashed run under the recorded prefix left an open transaction: only the kept prefix finds it.
    const lingering = `.${recorded}-0-0badcafe-99.jsonl.inprogress`;
    writeFileSync(join(out, lingering), '{"seq":-1}\n');

    const second = Pipeline.create({ name: "seq" });
    const records = second
      .source(sequenceSource({ count: 3000, batchSize: 50 }), { uid: "seq" })
      .map((n) => ({ seq: n }), { uid: "to-json" });
    records.sinkTo(fileSink({ directory: out }), { uid: "files" });
    records.sinkTo(fileSink({ directory: audit }), { uid: "audit" });
    const restored = await new Job(second, {
      jobId: "restored",
      checkpointDirectory,
      checkpointIntervalMs: 50,
      restore: { path: savepoint },
    }).run();
    expect(restored.error).toBeUndefined();
    expect(restored.state).toBe("FINISHED");

    expect(committedFiles(out).every((f) => f.startsWith(`${recorded}-`))).toBe(true);
    expect(seqsUnder(out, recorded)).toEqual(range(0, 3000));
    expect(hiddenFiles(out)).toEqual([]);
    const auditPrefix = defaultSinkPrefix("seq", "audit", `file://${resolve(audit)}`);
    const after = sequencePosition(savepoint, "seq").end;
    expect(seqsUnder(audit, auditPrefix)).toEqual(range(after, 3000));
    expect(committedFiles(audit).every((f) => f.startsWith(`${auditPrefix}-`))).toBe(true);
    const final = readMetadata(restored.savepoint as string);
    expect(Object.fromEntries(final.sinks.map((s) => [s.uid, s.sinkPrefix]))).toEqual({
      files: recorded,
      audit: auditPrefix,
    });
  });
});

describe("a restored job with an explicit prefix", () => {
  /** A finished job's final checkpoint, whose sink "files" recorded `prefix`. */
  async function finishedUnder(work: string, prefix: string): Promise<string> {
    const p = Pipeline.create({ name: "seq" });
    p.source(sequenceSource({ count: 100 }), { uid: "seq" })
      .map((n) => ({ seq: n }), { uid: "to-json" })
      .sinkTo(fileSink({ directory: join(work, "out") }), { uid: "files", sinkPrefix: prefix });
    const result = await new Job(p, {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 50,
    }).run();
    expect(result.state).toBe("FINISHED");
    return result.savepoint as string;
  }

  function restoredPipeline(work: string, prefixes: { files?: string; audit?: string }): Pipeline {
    const p = Pipeline.create({ name: "seq" });
    const records = p
      .source(sequenceSource({ count: 100 }), { uid: "seq" })
      .map((n) => ({ seq: n }), { uid: "to-json" });
    records.sinkTo(fileSink({ directory: join(work, "out") }), {
      uid: "files",
      ...(prefixes.files ? { sinkPrefix: prefixes.files } : {}),
    });
    if (prefixes.audit)
      records.sinkTo(fileSink({ directory: join(work, "audit") }), {
        uid: "audit",
        sinkPrefix: prefixes.audit,
      });
    return p;
  }

  it("that differs from the recorded one uses it and warns, naming the recorded prefix", async () => {
    const work = workDirectory("explicit-over-recorded");
    const point = await finishedUnder(work, "before");
    const { logger, lines } = capturingLogger();
    const result = await new Job(restoredPipeline(work, { files: "after" }), {
      jobId: "restored",
      checkpointDirectory: join(work, "chk"),
      restore: { path: point },
      logger,
    }).run();
    expect(result.state).toBe("FINISHED");
    expect(readMetadata(result.savepoint as string).sinks[0]?.sinkPrefix).toBe("after");
    expect(lines.join("\n")).toMatch(
      /explicit sink prefix \\"after\\" replaces \\"before\\", which the restore point recorded/,
    );
  });

  it("that another sink's recorded prefix already holds is refused at start, naming both uids", async () => {
    const work = workDirectory("recorded-duplicate");
    const point = await finishedUnder(work, "shared");
    const result = await new Job(restoredPipeline(work, { audit: "shared" }), {
      jobId: "restored",
      checkpointDirectory: join(work, "chk"),
      restore: { path: point },
    }).run();
    expect(result.state).toBe("FAILED");
    expect((result.error as SinkPrefixError).code).toBe("SINK_PREFIX_DUPLICATE");
    expect((result.error as SinkPrefixError).uids).toEqual(["files", "audit"]);
  });
});

describe("a sink prefix too long for the target", () => {
  function pipeline(out: string, sinkPrefix?: string): Pipeline {
    const p = Pipeline.create({ name: "seq" });
    // A target whose names may have 63 bytes, as PostgreSQL identifiers.
    const sink = { ...fileSink<{ seq: number }>({ directory: out }), maxNameBytes: 63 };
    p.source(sequenceSource({ count: 100 }), { uid: "seq" })
      .map((n) => ({ seq: n }), { uid: "to-json" })
      .sinkTo(sink, { uid: "files", ...(sinkPrefix ? { sinkPrefix } : {}) });
    return p;
  }

  it("is refused at start with SINK_PREFIX_TOO_LONG, before anything is aborted or written; the default fits", async () => {
    const work = workDirectory("prefix-too-long");
    const out = join(work, "out");
    mkdirSync(out);
    const prefix = "a".repeat(40);
    const lingering = `.${prefix}-0-0badcafe-1.jsonl.inprogress`;
    writeFileSync(join(out, lingering), '{"seq":-1}\n');
    const result = await new Job(pipeline(out, prefix), {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 50,
    }).run();
    expect(result.state).toBe("FAILED");
    expect(result.error).toBeInstanceOf(SinkPrefixError);
    expect((result.error as SinkPrefixError).code).toBe("SINK_PREFIX_TOO_LONG");
    expect(result.error?.message).toMatch(
      /sink "files".* 73 bytes .*limit of 63; use a sink prefix of at most 30 bytes/,
    );
    expect(hiddenFiles(out)).toEqual([lingering]);
    expect(committedFiles(out)).toEqual([]);

    const fits = await new Job(pipeline(join(work, "out2")), {
      checkpointDirectory: join(work, "chk2"),
      checkpointIntervalMs: 50,
    }).run();
    expect(fits.state).toBe("FINISHED");
  });
});

describe("two sinks of one job", () => {
  function twoSinks(out: string, prefixes: [string, string]): Pipeline {
    const p = Pipeline.create({ name: "two-sinks" });
    const records = p
      .source(sequenceSource({ count: 2000, batchSize: 50 }), { uid: "seq" })
      .map((n) => ({ seq: n }), { uid: "to-json" });
    records.sinkTo(fileSink({ directory: out }), { uid: "left", sinkPrefix: prefixes[0] });
    records.sinkTo(fileSink({ directory: out }), { uid: "right", sinkPrefix: prefixes[1] });
    return p;
  }

  it("with one explicit prefix on one target — the case that lost data — cannot be built: the error names both uids", () => {
    const work = workDirectory("duplicate-prefix");
    try {
      twoSinks(join(work, "out"), ["same", "same"]);
      expect.unreachable("the pipeline was built");
    } catch (error) {
      expect(error).toBeInstanceOf(SinkPrefixError);
      expect((error as SinkPrefixError).code).toBe("SINK_PREFIX_DUPLICATE");
      expect((error as SinkPrefixError).uids).toEqual(["left", "right"]);
      expect((error as Error).message).toMatch(
        /sinks "left" and "right" \(file\) share the sink prefix "same"/,
      );
    }
  });

  it("with their own prefixes on one directory each commit every record once", async () => {
    const work = workDirectory("two-prefixes");
    const out = join(work, "out");
    const result = await new Job(twoSinks(out, ["left", "right"]), {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 20,
    }).run();
    expect(result.state).toBe("FINISHED");
    for (const prefix of ["left", "right"]) {
      expect(seqsUnder(out, prefix)).toEqual(range(0, 2000));
      expect(duplicates(seqsUnder(out, prefix))).toEqual([]);
    }
  });
});
