import { describe, expect, it } from "vitest";
import { SinkNames } from "../sink/names.js";
import { lingeringScope } from "./lingering-scope.js";

const names = new SinkNames("p");
const attempt = (subtask: number, checkpointId: number) =>
  names.attempt({ subtask, attemptId: "0a1b2c3d", checkpointId });

describe("the lingering scope", () => {
  it("looks at the subtasks of the restored run that this run no longer has", () => {
    const scope = lingeringScope({
      names,
      parallelism: 2,
      restoredParallelism: 4,
      restoredSubtasks: [0, 3],
      restoredNames: [],
    });
    expect(scope.subtasks).toBe(4);
    expect(scope.vanishedSubtasks).toEqual([2, 3]);
  });

  it("counts restored committables of subtasks above the restored parallelism, and nothing vanishes on a fresh start", () => {
    expect(
      lingeringScope({
        names,
        parallelism: 1,
        restoredParallelism: 1,
        restoredSubtasks: [5],
        restoredNames: [],
      }).subtasks,
    ).toBe(6);
    const fresh = lingeringScope({
      names,
      parallelism: 3,
      restoredParallelism: 0,
      restoredSubtasks: [],
      restoredNames: [],
    });
    expect(fresh.subtasks).toBe(3);
    expect(fresh.vanishedSubtasks).toEqual([]);
  });

  it("is lingering: names of this prefix not restored; pooled names always; never names of another prefix", () => {
    const scope = lingeringScope({
      names,
      parallelism: 1,
      restoredParallelism: 1,
      restoredSubtasks: [0],
      restoredNames: [attempt(0, 4)],
    });
    expect(scope.isLingering(attempt(0, 5))).toBe(true);
    expect(scope.isLingering(attempt(0, 4))).toBe(false);
    expect(scope.isLingering(names.pooled({ subtask: 0, slot: 0 }))).toBe(true);
    const longer = new SinkNames("p-b");
    expect(scope.isLingering(longer.attempt({ subtask: 0, attemptId: "0a1b2c3d", checkpointId: 5 }))).toBe(
      false,
    );
    expect(scope.isLingering(longer.pooled({ subtask: 0, slot: 0 }))).toBe(false);
    expect(scope.isLingering("p-unrelated")).toBe(false);
  });
});
