import { describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import { fileSink } from "../file-sink/file-sink.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { sequenceSource } from "../source/sequence-source.js";
import { parseBadRecords } from "./bad-records.js";

describe("badRecords option", () => {
  it("defaults to fail and keeps a dead-letter target", () => {
    expect(parseBadRecords("files", { uid: "files" })).toEqual({ policy: "fail" });
    const sink = fileSink({ directory: "/tmp/dlq" });
    expect(parseBadRecords("files", { badRecords: { policy: "dead-letter", deadLetter: { sink } } })).toEqual(
      {
        policy: "dead-letter",
        deadLetter: { sink },
      },
    );
  });

  it("refuses an unknown policy, a dead-letter policy without a sink, and unknown keys, naming the sink", () => {
    const refused = (badRecords: unknown) => {
      try {
        parseBadRecords("files", { badRecords });
      } catch (error) {
        expect(error).toBeInstanceOf(BerthError);
        expect((error as BerthError).code).toBe("CONFIG_INVALID");
        return (error as Error).message;
      }
      throw new Error("not refused");
    };
    expect(refused({ policy: "ignore" })).toMatch(/^sink "files": `badRecords.policy`/);
    expect(refused({ policy: "dead-letter" })).toMatch(/`badRecords.deadLetter` must be an object/);
    expect(refused({ policy: "dead-letter", deadLetter: { sink: {} } })).toMatch(/must be a Berth sink/);
    expect(refused({ policy: "skip", deadLetter: {} })).toMatch(/unknown option\(s\) `deadLetter`/);
  });

  it("adds the dead-letter sink as a sink vertex fed by the sink it serves, with its parallelism", () => {
    const p = Pipeline.create({ name: "dlq" });
    p.source(sequenceSource({ count: 1 }), { uid: "seq", parallelism: 3 }).sinkTo(
      fileSink({ directory: "/tmp/a" }),
      {
        uid: "files",
        parallelism: 3,
        badRecords: { policy: "dead-letter", deadLetter: { sink: fileSink({ directory: "/tmp/b" }) } },
      },
    );
    const [, main, dead] = p.vertices;
    expect(dead).toMatchObject({ kind: "sink", uid: "files-dead-letter", parallelism: 3 });
    expect(dead?.kind === "sink" && dead.input).toEqual({
      vertex: main?.index,
      partitioning: { kind: "forward" },
    });
  });
});
