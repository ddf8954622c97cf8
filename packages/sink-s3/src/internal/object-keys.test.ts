import { SinkNames } from "@berth/core/connector";
import { describe, expect, it } from "vitest";
import { ObjectKeys } from "./object-keys.js";

const attempt = { subtask: 3, attemptId: "0a1b2c3d", checkpointId: 42 };

describe("object keys", () => {
  it("builds <base>/<prefix>-<subtask>-<attempt>-<chk>-<seq>.<ext> and parses the attempt name back", () => {
    const keys = new ObjectKeys("out/daily", ".jsonl");
    const names = new SinkNames("my.job-1");
    const key = keys.key(names, attempt, 0);
    expect(key).toBe("out/daily/my.job-1-3-0a1b2c3d-42-0.jsonl");
    expect(names.parseAttempt(keys.attemptNameOf(key) as string)).toEqual(attempt);
    expect(keys.attemptNameOf("out/daily/my.job-1-3-0a1b2c3d-42-17.jsonl.gz")).toBe("my.job-1-3-0a1b2c3d-42");
  });

  it("keys at the bucket root have no leading /", () => {
    expect(new ObjectKeys("", ".jsonl").key(new SinkNames("p"), attempt, 0)).toBe("p-3-0a1b2c3d-42-0.jsonl");
  });

  it("a key of prefix a-b never parses under prefix a, nor one of a under a-b", () => {
    const keys = new ObjectKeys("b", ".jsonl");
    const ofAB = keys.key(new SinkNames("a-b"), attempt, 0);
    const ofA = keys.key(new SinkNames("a"), attempt, 0);
    expect(new SinkNames("a").parseAttempt(keys.attemptNameOf(ofAB) as string)).toBeUndefined();
    expect(new SinkNames("a-b").parseAttempt(keys.attemptNameOf(ofA) as string)).toBeUndefined();
  });

  it("keys outside the base or without -<seq>.<ext> are not the sink's", () => {
    const keys = new ObjectKeys("b", ".jsonl");
    expect(keys.attemptNameOf("c/a-3-0a1b2c3d-42-0.jsonl")).toBeUndefined();
    expect(keys.attemptNameOf("b/a-3-0a1b2c3d-42.jsonl")).toBe("a-3-0a1b2c3d");
    expect(new SinkNames("a").parseAttempt("a-3-0a1b2c3d")).toBeUndefined();
    expect(keys.attemptNameOf("b/a-notes.txt")).toBeUndefined();
  });

  it("leaves the base, -<seq> and the extension their share of S3's 1024 bytes", () => {
    expect(new ObjectKeys("abc", ".jsonl.gz").maxAttemptNameBytes).toBe(1024 - 4 - 10 - 9);
  });
});
