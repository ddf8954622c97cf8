/**
 * The coordinator's shutdown (a failover or cancel) never leaves the job without a complete
 * checkpoint: a checkpoint still waiting for acknowledgements is abandoned at once, one
 * writing its `_metadata` completes before shutdown resolves. And periodic checkpoints stop
 * while a stop runs. Storage that hangs fails the checkpoint within its timeout, and the next
 * one is not queued behind it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import type { BarrierOptions } from "../runtime/stream-element.js";
import { Gate, workDirectory } from "../test-support.js";
import { CheckpointCoordinator } from "./checkpoint-coordinator.js";
import { CheckpointStorage } from "./checkpoint-storage.js";
import type { CheckpointMetadata } from "./metadata.js";

async function setup(options: { completeGate?: Gate; timeoutMs?: number } = {}) {
  const storage = new CheckpointStorage(workDirectory("coordinator"), "job");
  await storage.beginRun(undefined);
  const complete = storage.complete.bind(storage);
  storage.complete = async (directory, metadata) => {
    await options.completeGate?.pass();
    await complete(directory, metadata);
  };
  const barriers: BarrierOptions[] = [];
  const abandoned: number[] = [];
  const coordinator = new CheckpointCoordinator(
    storage,
    {
      subtaskKeys: () => ["op#0"],
      injectBarrier: (barrier) => barriers.push(barrier),
      abandonBarrier: (id) => abandoned.push(id),
      metadataFor: (request, checkpointId) =>
        ({
          checkpointId,
          kind: request.savepoint ? "savepoint" : "checkpoint",
          operators: [],
          sinks: [],
        }) as unknown as CheckpointMetadata,
    },
    0,
    { timeoutMs: options.timeoutMs ?? 60_000, retained: 1 },
  );
  const acknowledge = async (id: number) => {
    const handle = await coordinator.snapshotState(id, "op", 0, [], undefined);
    coordinator.acknowledge(id, "op#0", handle);
  };
  return { storage, coordinator, barriers, abandoned, acknowledge };
}

describe("checkpoint coordinator", () => {
  it("shutdown abandons a checkpoint still waiting for acknowledgements at once and discards it", async () => {
    const { coordinator, barriers, storage } = await setup();
    const triggered = coordinator.trigger({ savepoint: false, stop: "none" });
    const failure = triggered.catch((error: unknown) => error);
    while (barriers.length === 0) await sleep(1);
    const directory = coordinator.directoryOf(1) as string;
    expect(existsSync(directory)).toBe(true);
    await coordinator.shutdown();
    const error = await failure;
    expect(error).toBeInstanceOf(BerthError);
    expect((error as BerthError).code).toBe("CHECKPOINT_DECLINED");
    expect(existsSync(directory)).toBe(false);
    expect(await storage.completedCheckpoints()).toEqual([]);
  });

  it("shutdown waits for a checkpoint writing its _metadata, which stays complete", async () => {
    const gate = new Gate(false);
    const { coordinator, barriers, acknowledge, storage } = await setup({ completeGate: gate });
    // Checkpoint 1 completes; checkpoint 2 is held while writing its metadata.
    gate.release();
    const first = coordinator.trigger({ savepoint: false, stop: "none" });
    while (barriers.length < 1) await sleep(1);
    await acknowledge(1);
    await first;
    gate.close();
    const second = coordinator.trigger({ savepoint: false, stop: "none" });
    while (barriers.length < 2) await sleep(1);
    await acknowledge(2);
    while (gate.waiting === 0) await sleep(1);
    let shutDown = false;
    const shutdown = coordinator.shutdown().then(() => {
      shutDown = true;
    });
    await sleep(20);
    expect(shutDown).toBe(false);
    gate.release();
    await shutdown;
    expect((await second).checkpointId).toBe(2);
    // The newest complete checkpoint is there for the failover to restore.
    expect((await storage.completedCheckpoints()).map((c) => c.id)).toEqual([2]);
    expect(existsSync(join(storage.jobDirectory, "run-1", "chk-2", "_metadata"))).toBe(true);
  });

  it("a timed-out checkpoint has its barrier abandoned before its directory goes, and a late acknowledgement is ignored", async () => {
    const { coordinator, barriers, abandoned, acknowledge, storage } = await setup({ timeoutMs: 50 });
    const stop = coordinator.trigger({
      savepoint: true,
      stop: "suspend",
      targetDirectory: storage.jobDirectory,
    });
    const failure = stop.catch((error: unknown) => error);
    while (barriers.length === 0) await sleep(1);
    expect(abandoned).toEqual([]);
    expect(((await failure) as BerthError).code).toBe("CHECKPOINT_FAILED");
    expect(abandoned).toEqual([1]);
    expect(coordinator.directoryOf(1)).toBeUndefined();
    await expect(acknowledge(1)).rejects.toThrow(/no longer in progress/);
    await coordinator.shutdown();
  });

  it("takes no periodic checkpoint while suspended", async () => {
    const { coordinator, barriers, acknowledge } = await setup();
    const completed: number[] = [];
    coordinator.startPeriodic(
      5,
      (c) => completed.push(c.checkpointId),
      () => undefined,
    );
    while (barriers.length < 1) await sleep(1);
    coordinator.suspendPeriodic();
    await acknowledge(1);
    while (completed.length < 1) await sleep(1);
    await sleep(50);
    expect(barriers.map((b) => b.checkpointId)).toEqual([1]);
    coordinator.resumePeriodic();
    while (barriers.length < 2) await sleep(1);
    expect(barriers[1]?.checkpointId).toBe(2);
    await coordinator.shutdown();
  });
  it("storage that hangs fails the checkpoint within its timeout, saying what it waited for; the next one runs", async () => {
    const gate = new Gate();
    gate.close();
    const { coordinator, barriers, acknowledge } = await setup({ completeGate: gate, timeoutMs: 300 });
    const first = coordinator.trigger({ savepoint: false, stop: "none" }).catch((error: unknown) => error);
    while (barriers.length === 0) await sleep(1);
    await acknowledge(1);
    const error = await first;
    expect(error).toBeInstanceOf(BerthError);
    expect((error as BerthError).code).toBe("CHECKPOINT_FAILED");
    expect((error as Error).message).toMatch(
      /checkpoint 1 timed out after 300 ms waiting for its _metadata in .*chk-1/,
    );
    gate.release();
    const second = coordinator.trigger({ savepoint: false, stop: "none" });
    while (barriers.length < 2) await sleep(1);
    await acknowledge(2);
    expect((await second).checkpointId).toBe(2);
  });
});
