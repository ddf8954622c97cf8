/**
 * Nothing waits forever (issue 10, item 2), against a real `berth run` child: a savepoint
 * to a path the file system refuses — under /proc (where Node's recursive mkdir used to spin
 * at 100 % CPU forever), under a regular file, on a full disk (a small tmpfs when this test
 * may mount one) — fails with one line naming the path and the OS reason, exit 7; the job
 * keeps running and committing, and a later savepoint, stop or cancel works. A job whose
 * checkpoint directory fills up keeps running and checkpoints again once there is room.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  committedFiles,
  committedSeqs,
  duplicates,
  sequencePosition,
  waitFor,
  workDirectory,
} from "../test-support.js";
import { berth, type Env, environment, runArgs, start, started, stderrLines } from "./cli-test-support.js";
import { ExitCode } from "./exit-codes.js";

/** A 1 MiB tmpfs, or undefined where this process may not mount one (not root, no CAP_SYS_ADMIN). */
function smallTmpfs(): string | undefined {
  const directory = workDirectory("tmpfs");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", directory], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  mounted.push(directory);
  return directory;
}

/** Fills the file system of `directory` with one file; returns it (delete it to make room). */
function fill(directory: string): string {
  const file = join(directory, "filler");
  try {
    execFileSync("dd", ["if=/dev/zero", `of=${file}`, "bs=64k"], { stdio: "ignore" });
  } catch {
    // dd ends with ENOSPC: the disk is full, which is the point.
  }
  return file;
}

const mounted: string[] = [];
afterEach(() => {
  for (const directory of mounted.splice(0)) execFileSync("umount", ["-l", directory], { stdio: "ignore" });
});

async function savepointFails(env: Env, jobId: string, target: string, reason: string): Promise<void> {
  const result = await berth(env, ["savepoint", jobId, target]);
  expect(result.code, result.stderr).toBe(ExitCode.SAVEPOINT_FAILED);
  const lines = stderrLines(result);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^berth: savepoint of job ${jobId} failed: .*${reason}`));
}

describe("a savepoint that cannot be written", () => {
  it("fails with the OS reason, the job keeps running, and a later savepoint and stop work", async () => {
    const env = environment("unwritable");
    const running = start(env, runArgs(env, "unwritable"));
    await started(running, env, 2);

    await savepointFails(env, "unwritable", "/proc/berth-nope", "/proc/berth-nope: .*\\(ENOENT\\)");
    const file = join(env.out, "..", "a-file");
    writeFileSync(file, "");
    await savepointFails(env, "unwritable", join(file, "x"), "regular file, not a directory \\(ENOTDIR\\)");
    const tmpfs = smallTmpfs();
    if (tmpfs) {
      fill(tmpfs);
      await savepointFails(env, "unwritable", tmpfs, "no space left on the device \\(ENOSPC\\)");
    }
    const stopToProc = await berth(env, ["stop", "unwritable", "-p", "/proc/berth-nope"]);
    expect(stopToProc.code, stopToProc.stderr).toBe(ExitCode.SAVEPOINT_FAILED);
    expect(stderrLines(stopToProc)).toEqual([expect.stringMatching(/ENOENT/)]);

    // Still running: checkpoints complete and commit.
    const before = committedFiles(env.out).length;
    await waitFor(
      () => committedFiles(env.out).length >= before + 2,
      "commits after the failed savepoints",
      60_000,
    );
    const savepoint = await berth(env, ["savepoint", "unwritable", "--json"]);
    expect(savepoint.code, savepoint.stderr).toBe(ExitCode.OK);
    const stop = await berth(env, ["stop", "unwritable", "--json"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    expect(await running.exited).toBe(ExitCode.OK);
    const stopped = (JSON.parse(stop.stdout) as { savepoint: string }).savepoint;
    const seqs = committedSeqs(env.out);
    expect(duplicates(seqs)).toEqual([]);
    expect(seqs).toEqual(Array.from({ length: sequencePosition(stopped, "sequence").end }, (_, i) => i));
  });

  it("a cancel after a failed savepoint cancels", async () => {
    const env = environment("unwritable-cancel");
    const running = start(env, runArgs(env, "uwcancel"));
    await started(running, env, 1);
    await savepointFails(env, "uwcancel", "/proc/berth-nope", "ENOENT");
    const cancel = await berth(env, ["cancel", "uwcancel"]);
    expect(cancel.code, cancel.stderr).toBe(ExitCode.OK);
    expect(cancel.stdout).toMatch(/job uwcancel (CANCELED|ended)/);
    expect(await running.exited).toBe(ExitCode.JOB_CANCELED);
  });

  it("a full checkpoint disk fails checkpoints with ENOSPC; the job runs on and checkpoints again once there is room", async (context) => {
    const tmpfs = smallTmpfs();
    if (!tmpfs) return context.skip("cannot mount a tmpfs here (needs root)");
    const env = { ...environment("enospc"), chk: join(tmpfs, "chk") };
    mkdirSync(env.chk);
    const running = start(env, runArgs(env, "enospc"));
    await started(running, env, 1);
    const filler = fill(tmpfs);
    await waitFor(
      () => /checkpoint \d+ could not be written: .*ENOSPC/.test(running.stdout),
      "a checkpoint failing with ENOSPC",
      60_000,
    );
    const stuck = committedFiles(env.out).length;
    rmSync(filler);
    await waitFor(
      () => committedFiles(env.out).length > stuck + 1,
      "commits once there is room again",
      60_000,
    );
    const stop = await berth(env, ["stop", "enospc", "-p", join(env.out, "..", "savepoints")]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    expect(await running.exited).toBe(ExitCode.OK);
    expect(duplicates(committedSeqs(env.out))).toEqual([]);
  });
});
