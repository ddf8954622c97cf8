/**
 * The checkpoint history's bounds and counts, fed the coordinator's events directly: it keeps
 * the newest CHECKPOINT_HISTORY_SIZE, newest first, while the counts go on; a checkpoint's later
 * event replaces its entry; failures, savepoints and restores land in `latest`.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { CheckpointStats } from "../checkpoint/checkpoint-coordinator.js";
import type { Job } from "../job.js";
import { CHECKPOINT_HISTORY_SIZE, CheckpointHistory } from "./checkpoint-history.js";

function triggered(id: number, savepoint = false): CheckpointStats {
  return { id, status: "IN_PROGRESS", savepoint, stop: "none", format: "canonical", triggeredAt: 1_000 * id };
}

function completed(id: number, savepoint = false): CheckpointStats {
  return {
    ...triggered(id, savepoint),
    status: "COMPLETED",
    endedAt: 1_000 * id + id,
    stateBytes: 10 * id,
    committables: 1,
    directory: `/chk/chk-${id}`,
  };
}

describe("checkpoint history", () => {
  it("keeps the newest checkpoints, newest first; the counts, latest and summary go on", () => {
    const job = new EventEmitter();
    const history = new CheckpointHistory(job as unknown as Job);
    const total = CHECKPOINT_HISTORY_SIZE + 10;
    for (let id = 1; id <= total; id++) {
      job.emit("checkpoint", triggered(id, id === 5));
      job.emit("checkpoint", completed(id, id === 5));
    }
    job.emit("checkpoint", triggered(total + 1));
    job.emit("checkpoint", { ...triggered(total + 1), status: "FAILED", endedAt: 1, failure: "disk full" });
    job.emit("checkpoint", triggered(total + 2));
    job.emit("restored", { checkpointId: 3, directory: "/chk/chk-3", savepoint: false, timestamp: 7 });

    const view = history.view();
    expect(view.counts).toEqual({
      restored: 1,
      total: total + 2,
      in_progress: 1,
      completed: total,
      failed: 1,
    });
    expect(view.history).toHaveLength(CHECKPOINT_HISTORY_SIZE);
    expect(view.history.map((c) => c.id)).toEqual(
      Array.from({ length: CHECKPOINT_HISTORY_SIZE }, (_, i) => total + 2 - i),
    );
    expect(view.history[0]).toMatchObject({
      status: "IN_PROGRESS",
      end_to_end_duration: null,
      state_size: null,
    });
    expect(view.history[1]).toMatchObject({ status: "FAILED", failure_message: "disk full" });
    expect(view.latest.completed).toMatchObject({
      id: total,
      end_to_end_duration: total,
      state_size: 10 * total,
    });
    // Savepoint 5 left the history long ago; it is still the latest savepoint.
    expect(view.latest.savepoint).toMatchObject({
      id: 5,
      checkpoint_type: "SAVEPOINT",
      external_path: "/chk/chk-5",
    });
    expect(view.latest.failed?.id).toBe(total + 1);
    expect(view.latest.restored).toEqual({
      id: 3,
      restore_timestamp: 7,
      is_savepoint: false,
      external_path: "/chk/chk-3",
    });
    // Over the completed checkpoints the history still holds (ids 13 … 60).
    const shown = Array.from({ length: CHECKPOINT_HISTORY_SIZE - 2 }, (_, i) => total - i);
    expect(view.summary.end_to_end_duration).toEqual({
      min: Math.min(...shown),
      max: total,
      avg: Math.round(shown.reduce((n, v) => n + v, 0) / shown.length),
    });
  });
});
