/**
 * What a completed checkpoint depends on is fsynced, directory entries included (issue 9,
 * finding 8): every directory `ensureDirectory` creates (new `chk-*` and savepoint directories
 * among them) has its parent fsynced, and the file sink fsyncs the directory of its in-progress
 * file at pre-commit. A power loss cannot be simulated in a test, so this one records which
 * directories are fsynced — by wrapping `open` of node:fs/promises — and checks those the
 * checkpoint's durability rests on.
 */
import type { FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { CheckpointStorage } from "../checkpoint/checkpoint-storage.js";
import { fileSink } from "../file-sink/file-sink.js";
import { SinkNames } from "../sink/names.js";
import type { SinkWriterContext } from "../sink/sink.js";
import { workDirectory } from "../test-support.js";
import { ensureDirectory } from "./directories.js";

const synced = vi.hoisted(() => [] as string[]);

vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  const open = async (...args: Parameters<typeof actual.open>): Promise<FileHandle> => {
    const handle = await actual.open(...args);
    const path = String(args[0]);
    return new Proxy(handle, {
      get(target, property) {
        if (property === "sync")
          return async () => {
            synced.push(path);
            await target.sync();
          };
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  return { ...actual, default: { ...actual, open }, open };
});

beforeEach(() => {
  synced.length = 0;
});

describe("durable directories", () => {
  it("ensureDirectory fsyncs the parent of every directory it creates, and nothing when all exist", async () => {
    const root = workDirectory("durable-dirs");
    await ensureDirectory(join(root, "a", "b"));
    expect(synced).toEqual([root, join(root, "a")]);
    synced.length = 0;
    await ensureDirectory(join(root, "a", "b"));
    expect(synced).toEqual([]);
  });

  it("a new chk-* directory and a new savepoint directory are durable in their parents", async () => {
    const root = workDirectory("durable-chk");
    const storage = new CheckpointStorage(join(root, "chk"), "job");
    await storage.beginRun(undefined);
    synced.length = 0;
    const checkpoint = await storage.createDirectory(1);
    expect(synced).toContain(dirname(checkpoint));
    synced.length = 0;
    const savepoint = await storage.createDirectory(2, join(root, "savepoints"));
    expect(synced).toContain(dirname(savepoint));
  });

  it("the file sink's pre-commit fsyncs the in-progress file's directory", async () => {
    const out = join(workDirectory("durable-sink"), "out");
    const context: SinkWriterContext = {
      sinkPrefix: "p",
      names: new SinkNames("p"),
      uid: "files",
      parallelism: 1,
      attemptId: "0a1b2c3d",
      subtask: 0,
      currentCheckpointId: () => 1,
      log: { info() {}, warn() {} },
    };
    const writer = await fileSink<{ seq: number }>({ directory: out }).createWriter(context, undefined);
    await writer.write({ seq: 1 });
    synced.length = 0;
    await writer.flush(false);
    const [committable] = await writer.prepareCommit();
    expect(synced).toEqual([join(out, committable?.pending as string), out]);
    await writer.close();
  });
});
