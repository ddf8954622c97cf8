/**
 * The `berth` CLI end to end, each command a real child process (`node
 * packages/core/bin/berth.mjs ...`) on examples/sequence-to-files.ts: run, savepoint (also
 * --type native), stop --json, run -s, stop --drain — every seq committed once; SIGTERM
 * stops with a savepoint into `<checkpoint dir>/savepoints` and exits 0; documented exit
 * codes for a finished or unknown job, an unusable savepoint and a bad flag.
 */
import { existsSync, readdirSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { hashTree } from "../checkpoint/savepoint-test-support.js";
import { committedSeqs, duplicates, readMetadata, sequencePosition } from "../test-support.js";
import { berth, type Env, environment, runArgs, start, started } from "./cli-test-support.js";
import { ExitCode } from "./exit-codes.js";

/** Every seq the source emitted before `snapshot` is committed once, and nothing else. */
function expectEverySeqOnce(env: Env, snapshot: string): void {
  const seqs = committedSeqs(env.out);
  expect(duplicates(seqs)).toEqual([]);
  const end = sequencePosition(snapshot, "sequence").end;
  expect(end).toBeGreaterThan(0);
  expect(seqs).toEqual(Array.from({ length: end }, (_, i) => i));
}

describe("berth CLI, end to end", () => {
  it("run, savepoint, stop --json, run -s, stop --drain: every seq once", async () => {
    const env = environment("e2e");
    const first = start(env, runArgs(env, "e2e"));
    await started(first, env, 2);

    const savepoint = await berth(env, ["savepoint", "e2e", "--json"]);
    expect(savepoint.code, savepoint.stderr).toBe(ExitCode.OK);
    const taken = JSON.parse(savepoint.stdout) as { jobId: string; savepoint: string; state: string };
    expect(taken).toMatchObject({ jobId: "e2e", state: "RUNNING" });
    expect(existsSync(join(taken.savepoint, "_metadata"))).toBe(true);
    const native = await berth(env, ["savepoint", "e2e", "--type", "native", "--json"]);
    expect(native.code, native.stderr).toBe(ExitCode.OK);
    const nativeSavepoint = (JSON.parse(native.stdout) as { savepoint: string }).savepoint;
    expect(readMetadata(nativeSavepoint)).toMatchObject({ format: "native", kind: "savepoint" });

    const stop = await berth(env, ["stop", "e2e", "--json"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    const stopped = JSON.parse(stop.stdout.trim()) as { jobId: string; savepoint: string; state: string };
    expect(stopped.jobId).toBe("e2e");
    expect(stopped.state).toBe("FINISHED");
    expect(isAbsolute(stopped.savepoint)).toBe(true);
    expect(readMetadata(stopped.savepoint)).toMatchObject({
      kind: "savepoint",
      stop: "suspend",
      jobId: "e2e",
    });
    expect(await first.exited).toBe(ExitCode.OK);
    expect(first.stdout).toContain("FINISHED");
    expectEverySeqOnce(env, stopped.savepoint);

    // A finished job cannot be stopped again: exit 5, one line saying why.
    const again = await berth(env, ["stop", "e2e"]);
    expect(again.code).toBe(ExitCode.JOB_NOT_AVAILABLE);
    expect(again.stderr.trim().split("\n")).toEqual([expect.stringContaining("no running job e2e")]);

    const info = await berth(env, ["info", stopped.savepoint, "--json"]);
    expect(info.code, info.stderr).toBe(ExitCode.OK);
    expect(JSON.parse(info.stdout)).toMatchObject({ jobId: "e2e", kind: "savepoint", claimed: false });

    const before = hashTree(stopped.savepoint);
    const second = start(env, runArgs(env, "e2e", "-s", stopped.savepoint, "--claim-mode", "NO_CLAIM"));
    await started(second, env, 2);
    const drain = await berth(env, ["stop", "e2e", "--drain", "--json"]);
    expect(drain.code, drain.stderr).toBe(ExitCode.OK);
    const drained = JSON.parse(drain.stdout.trim()) as { savepoint: string; state: string };
    expect(drained.state).toBe("FINISHED");
    expect(readMetadata(drained.savepoint).stop).toBe("drain");
    expect(await second.exited).toBe(ExitCode.OK);
    expect(hashTree(stopped.savepoint)).toEqual(before);
    expect(sequencePosition(drained.savepoint, "sequence").end).toBeGreaterThan(
      sequencePosition(stopped.savepoint, "sequence").end,
    );
    expectEverySeqOnce(env, drained.savepoint);
  });

  it("SIGTERM stops the job with a savepoint into <checkpoint dir>/savepoints and exits 0", async () => {
    const env = environment("sigterm");
    const running = start(env, runArgs(env, "sig"));
    await started(running, env, 2);
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(ExitCode.OK);
    const savepoints = join(env.chk, "savepoints");
    const names = readdirSync(savepoints).filter((n) => existsSync(join(savepoints, n, "_metadata")));
    expect(names).toHaveLength(1);
    const savepoint = join(savepoints, names[0] as string);
    expect(running.stdout).toContain(`savepoint: ${savepoint}`);
    expect(readMetadata(savepoint)).toMatchObject({ jobId: "sig", stop: "suspend" });
    expectEverySeqOnce(env, savepoint);
  });

  it("--from-latest after stop -p DIR restores that savepoint, not the job's older checkpoint: every seq once", async () => {
    const env = environment("from-latest");
    const first = start(env, runArgs(env, "fl"));
    await started(first, env, 2);
    const elsewhere = join(env.chk, "..", "elsewhere");
    const stop = await berth(env, ["stop", "fl", "-p", elsewhere, "--json"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    const savepoint = (JSON.parse(stop.stdout.trim()) as { savepoint: string }).savepoint;
    expect(savepoint.startsWith(resolve(elsewhere))).toBe(true);
    expect(await first.exited).toBe(ExitCode.OK);

    const second = start(env, runArgs(env, "fl", "--from-latest"));
    await started(second, env, 2);
    expect(second.stdout).toContain(`restoring job fl from ${savepoint}`);
    const again = await berth(env, ["stop", "fl", "--json"]);
    expect(again.code, again.stderr).toBe(ExitCode.OK);
    expect(await second.exited).toBe(ExitCode.OK);
    expectEverySeqOnce(env, (JSON.parse(again.stdout.trim()) as { savepoint: string }).savepoint);
  });

  it("answers an unknown job, an unusable savepoint and a bad flag with one line and a documented exit code", async () => {
    const env = environment("codes");
    const unknown = await berth(env, ["stop", "no-such-job"]);
    expect(unknown.code).toBe(ExitCode.JOB_NOT_AVAILABLE);
    expect(unknown.stderr.trim().split("\n")).toEqual([
      "berth: no running job no-such-job on this machine (see berth list)",
    ]);

    const missing = join(env.chk, "savepoints", "gone?password=s3cret");
    const restore = await berth(env, runArgs(env, "codes", "-s", missing));
    expect(restore.code).toBe(ExitCode.RESTORE_FAILED);
    const line = restore.stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("berth:"));
    expect(line).toHaveLength(1);
    expect(line[0]).toContain("does not exist");
    expect(line[0]).toContain("password=***");
    expect(restore.stderr).not.toContain("s3cret");

    const bad = await berth(env, runArgs(env, "codes", "-s", missing, "--claim-mode", "own"));
    expect(bad.code).toBe(ExitCode.USAGE);
    expect(bad.stderr).toContain("no_claim, claim or legacy");
  });
});
