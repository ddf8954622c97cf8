import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { workDirectory } from "../test-support.js";
import { Lineage, LineageCorruptError } from "./lineage.js";
import { LocalDirectoryStore } from "./local-directory-store.js";
import { SavepointNotFoundError } from "./restore-errors.js";

/** A complete checkpoint or savepoint directory, as far as the lineage looks: a `_metadata` file. */
function complete(directory: string): string {
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, "_metadata"), "{}");
  return directory;
}

function setup() {
  const root = workDirectory("lineage");
  return { root, lineage: new Lineage(new LocalDirectoryStore(root), "job") };
}

describe("lineage", () => {
  it("numbers runs from 1 and records where each started", async () => {
    const { lineage } = setup();
    expect(await lineage.beginRun()).toBe(1);
    expect(await lineage.beginRun({ location: "/somewhere/savepoint-x", checkpointId: 7 })).toBe(2);
    expect((await lineage.runs()).map((r) => [r.run, r.startedFrom?.checkpointId])).toEqual([
      [1, undefined],
      [2, 7],
    ]);
  });

  it("newest is the latest point of the highest run, not the highest checkpoint id", async () => {
    const { root, lineage } = setup();
    await lineage.beginRun();
    complete(join(root, "job", "run-1", "chk-20"));
    const savepoint = complete(join(root, "elsewhere", "savepoint-12"));
    await lineage.beginRun({ location: savepoint, checkpointId: 12 });
    // Run 2 has no point of its own yet: the point it started from.
    expect(await lineage.newest()).toEqual({ run: 2, checkpointId: 12, location: savepoint });
    const chk13 = complete(join(root, "job", "run-2", "chk-13"));
    expect(await lineage.newest()).toEqual({ run: 2, checkpointId: 13, location: chk13 });
    // A savepoint written outside the checkpoint directory, newer than the run's checkpoints.
    const stop = complete(join(root, "other", "savepoint-14"));
    await lineage.recordSavepoint(2, { checkpointId: 14, location: stop, stop: "suspend" });
    expect(await lineage.newest()).toEqual({ run: 2, checkpointId: 14, location: stop });
    // An unfinished checkpoint (no _metadata) is no point.
    mkdirSync(join(root, "job", "run-2", "chk-15"), { recursive: true });
    expect((await lineage.newest())?.checkpointId).toBe(14);
    // Nor is one whose `_metadata` write was obstructed by a directory of that name.
    mkdirSync(join(root, "job", "run-2", "chk-16", "_metadata"), { recursive: true });
    expect((await lineage.newest())?.checkpointId).toBe(14);
  });

  it("refuses to fall back when the newest recorded savepoint is gone", async () => {
    const { root, lineage } = setup();
    await lineage.beginRun();
    complete(join(root, "job", "run-1", "chk-3"));
    await lineage.recordSavepoint(1, { checkpointId: 4, location: join(root, "gone"), stop: "suspend" });
    await expect(lineage.newest()).rejects.toBeInstanceOf(SavepointNotFoundError);
  });

  it("refuses a record that is not a lineage record of the job", async () => {
    const { root, lineage } = setup();
    await lineage.beginRun();
    writeFileSync(join(root, "job", "_lineage", "run-000002.json"), "{not json");
    await expect(lineage.runs()).rejects.toBeInstanceOf(LineageCorruptError);
    writeFileSync(
      join(root, "job", "_lineage", "run-000002.json"),
      JSON.stringify({
        magic: "berth-lineage",
        version: 1,
        jobId: "other",
        kind: "run",
        run: 2,
        startedAt: "",
      }),
    );
    await expect(lineage.runs()).rejects.toThrow(/not a lineage record of job job/);
  });
});

describe("a job folder from before lineage", () => {
  it("is run 0: its newest checkpoint or default-directory savepoint, by id, while no run has a point", async () => {
    const { root, lineage } = setup();
    complete(join(root, "job", "chk-5"));
    const savepoint = join(root, "savepoints", "savepoint-job-6-abc");
    mkdirSync(savepoint, { recursive: true });
    writeFileSync(join(savepoint, "_metadata"), JSON.stringify({ jobId: "job", checkpointId: 6 }));
    const other = join(root, "savepoints", "savepoint-other-9-abc");
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, "_metadata"), JSON.stringify({ jobId: "other", checkpointId: 9 }));
    expect(await lineage.newest()).toEqual({ run: 0, checkpointId: 6, location: savepoint });
    await lineage.beginRun({ location: savepoint, checkpointId: 6 });
    expect(await lineage.newest()).toEqual({ run: 1, checkpointId: 6, location: savepoint });
  });
});

describe("local directory store", () => {
  it("writes a key once, never over an existing one, and keeps keys inside its root", async () => {
    const root = workDirectory("store");
    const store = new LocalDirectoryStore(root);
    expect(await store.writeIfAbsent("a/b", "first")).toBe(true);
    expect(await store.writeIfAbsent("a/b", "second")).toBe(false);
    expect((await store.read("a/b"))?.toString()).toBe("first");
    expect(await store.read("a/none")).toBeUndefined();
    expect(await store.list("a")).toEqual(["b"]); // no temp file left or listed
    expect(await store.list("")).toEqual(["a/"]); // a folder, never taken for an object
    expect(await store.list("none")).toEqual([]);
    await store.delete("a");
    expect(await store.list("")).toEqual([]);
    expect(() => store.locate("../outside")).toThrow(/outside/);
  });
});
