/**
 * A stop whose commits miss the stop's deadline while a commit was already retrying, through
 * the CLI (issue 9, finding 7): `berth stop` and `berth run` both exit 4 (docs/cli.md) with
 * "savepoint is consistent; restart from it to complete pending commits" and the savepoint;
 * `berth run -s` from it completes the commits — every record once on disk.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PENDING_COMMITS_MESSAGE } from "../errors.js";
import {
  committedSeqs,
  hiddenFiles,
  range,
  sequencePosition,
  waitFor,
  workDirectory,
} from "../test-support.js";
import { ExitCode } from "./exit-codes.js";
import { berthChild, scriptedPipeline } from "./testing/berth-child.js";

// Long enough for `berth stop` to start and reach the job before the retrying commit's own deadline.
const DEADLINE_MS = 6_000;

describe("berth stop past the stop's commit deadline", () => {
  it("exits 4 from stop and run naming the savepoint; run -s from it completes the commits", async () => {
    const work = workDirectory("cli-stop-deadline");
    const out = join(work, "out");
    const busy = join(work, "target-busy");
    writeFileSync(busy, "");
    const env = { BERTH_HOME: join(work, "home"), OUT_DIR: out, BUSY_TARGET: busy };
    const chk = ["--checkpoint-dir", join(work, "chk"), "--checkpoint-interval", "100"];
    const run = berthChild(
      ["run", scriptedPipeline, "--job-id", "deadline", ...chk, "--commit-deadline", String(DEADLINE_MS)],
      env,
    );
    await waitFor(
      () => run.stdout().includes("commit retrying"),
      `a commit to retry (stderr: ${run.stderr()})`,
      60_000,
    );

    const stop = berthChild(["stop", "deadline"], env);
    expect(await stop.exit(), stop.stderr()).toBe(ExitCode.PENDING_COMMITS);
    expect(await run.exit(), run.stderr()).toBe(ExitCode.PENDING_COMMITS);
    for (const stderr of [stop.stderr(), run.stderr()]) expect(stderr).toContain(PENDING_COMMITS_MESSAGE);
    const savepoint = /the commits of (\S+) did not finish/.exec(run.stderr())?.[1] as string;
    expect(savepoint).toBeDefined();
    expect(stop.stderr()).toContain(savepoint);

    rmSync(busy);
    const restored = berthChild(
      ["run", scriptedPipeline, "--job-id", "deadline", ...chk, "-s", savepoint],
      env,
    );
    await waitFor(
      () => restored.stdout().includes("started"),
      `the restore to start (stderr: ${restored.stderr()})`,
      60_000,
    );
    const position = sequencePosition(savepoint, "sequence");
    await waitFor(
      () => committedSeqs(out).length >= position.end,
      "the restore to complete the savepoint's commits",
      60_000,
    );
    restored.child.kill("SIGTERM");
    expect(await restored.exit(), restored.stderr()).toBe(ExitCode.OK);
    const final = /FINISHED; savepoint: (\S+)/.exec(restored.stdout())?.[1] as string;
    expect(committedSeqs(out)).toEqual(range(0, sequencePosition(final, "sequence").end));
    expect(hiddenFiles(out)).toEqual([]);
  });
});
