/**
 * A SIGTERM to `berth run` while the job is CREATED (its lingering cleanup is slow) or
 * RESTARTING (right after "job failed, restarting") waits for RUNNING and then stops with a
 * savepoint (issue 9, finding 5): the job ends FINISHED, exit 0, and the files on disk hold
 * every record before the savepoint's position once.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  committedSeqs,
  hiddenFiles,
  range,
  readMetadata,
  sequencePosition,
  waitFor,
  workDirectory,
} from "../test-support.js";
import { ExitCode } from "./exit-codes.js";
import { berthChild, scriptedPipeline } from "./testing/berth-child.js";

async function sigtermWhileHeld(name: string, env: Record<string, string>): Promise<void> {
  const work = workDirectory(`signal-${name}`);
  const out = join(work, "out");
  const run = berthChild(
    [
      "run",
      scriptedPipeline,
      "--job-id",
      name,
      "--checkpoint-dir",
      join(work, "chk"),
      "--checkpoint-interval",
      "100",
    ],
    { BERTH_HOME: join(work, "home"), OUT_DIR: out, ...env },
  );
  await waitFor(
    () => run.stdout().includes(`holding start ${env.HOLD_START}`),
    `the held start (stderr: ${run.stderr()})`,
    60_000,
  );
  run.child.kill("SIGTERM");
  expect(await run.exit(), `stdout: ${run.stdout()}\nstderr: ${run.stderr()}`).toBe(ExitCode.OK);
  expect(run.stdout()).not.toContain("stop failed");
  const savepoint = /FINISHED; savepoint: (\S+)/.exec(run.stdout())?.[1] as string;
  expect(savepoint).toBeDefined();
  expect(readMetadata(savepoint)).toMatchObject({ jobId: name, kind: "savepoint", stop: "suspend" });
  const position = sequencePosition(savepoint, "sequence");
  expect(committedSeqs(out)).toEqual(range(0, position.end));
  expect(hiddenFiles(out)).toEqual([]);
}

describe("a signal before the job runs", () => {
  it("during a slow start waits for RUNNING, then stops with a savepoint: FINISHED, exit 0", async () => {
    await sigtermWhileHeld("during-start", { HOLD_START: "1" });
  });

  it("right after a failure, while RESTARTING, waits for RUNNING, then stops with a savepoint", async () => {
    await sigtermWhileHeld("during-restart", { HOLD_START: "2", BERTH_FAULT: "while-writing@300:throw" });
  });
});
