/**
 * One owner per job id, real `berth run` processes: a second run with a live job's id —
 * from the same or another `BERTH_HOME` — is refused before it restores, commits or aborts
 * anything (exit 9, one line naming the job and its pid); the first keeps its registry entry
 * and finishes with every seq committed once. Two runs with different job ids on one output
 * directory (one default sink prefix) are refused the same way by the file sink's prefix
 * claim, before any cleanup. Unsafe job ids are refused (exit 2) and nothing is written
 * outside the checkpoint directory.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { committedSeqs, duplicates, sequencePosition } from "../test-support.js";
import { berth, environment, runArgs, start, started, stderrLines } from "./cli-test-support.js";
import { ExitCode } from "./exit-codes.js";

describe("one owner per job id", () => {
  it("a second run of a live job's id is refused from either home; the first's data is intact", async () => {
    const env = environment("job-id-owner");
    const first = start(env, runArgs(env, "seq1"));
    await started(first, env, 2);
    const committedBefore = committedSeqs(env.out).length;

    for (const home of [env.home, join(env.home, "..", "other-home")]) {
      const second = await berth({ ...env, home }, runArgs({ ...env, home }, "seq1", "--from-latest"));
      expect(second.code, second.stderr).toBe(ExitCode.IN_USE);
      expect(stderrLines(second)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^berth: job id seq1 is in use: job seq1 \\(pid ${first.child.pid} on [^)]+\\) holds ${env.chk}/seq1/job.lock; stop that job first \\(berth stop seq1\\)`,
          ),
        ),
      ]);
      expect(second.stdout).not.toContain("started");
      expect(second.stdout).not.toContain("restoring");
    }

    // The first is still listed (its entry was not touched) and still commits.
    const list = await berth(env, ["list", "--json"]);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ jobId: "seq1", pid: first.child.pid }),
    ]);
    const stop = await berth(env, ["stop", "seq1", "--json"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    expect(await first.exited).toBe(ExitCode.OK);
    const savepoint = (JSON.parse(stop.stdout.trim()) as { savepoint: string }).savepoint;
    const seqs = committedSeqs(env.out);
    expect(seqs.length).toBeGreaterThan(committedBefore);
    expect(duplicates(seqs)).toEqual([]);
    expect(seqs).toEqual(Array.from({ length: sequencePosition(savepoint, "sequence").end }, (_, i) => i));

    // Released with the job: the id runs again.
    const again = start(env, runArgs(env, "seq1", "--from-latest"));
    await started(again, env, 1);
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(ExitCode.OK);
  });

  it("a second run on a live job's output, under another job id and home, is refused before any cleanup", async () => {
    const env = environment("prefix-owner");
    const first = start(env, runArgs(env, "seq1"));
    await started(first, env, 2);
    const other = { ...env, home: join(env.home, "..", "other-home") };
    const second = await berth(other, runArgs(other, "seq2"));
    expect(second.code, second.stderr).toBe(ExitCode.IN_USE);
    expect(stderrLines(second)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^berth: sink prefix \\S+ is in use: job seq1 \\(pid ${first.child.pid} on [^)]+\\) holds ${env.out}/\\.berth-locks/\\S+\\.lock; stop that job first`,
        ),
      ),
    ]);
    const stop = await berth(env, ["stop", "seq1", "--json"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    expect(await first.exited).toBe(ExitCode.OK);
    const savepoint = (JSON.parse(stop.stdout.trim()) as { savepoint: string }).savepoint;
    const seqs = committedSeqs(env.out);
    expect(duplicates(seqs)).toEqual([]);
    expect(seqs).toEqual(Array.from({ length: sequencePosition(savepoint, "sequence").end }, (_, i) => i));
  });

  it("refuses an empty or path-like job id (exit 2) and writes nothing outside the checkpoint directory", async () => {
    const env = environment("job-id-names");
    const escaped = resolve(env.chk, "../../../x");
    for (const id of ["../../../x/evil", ""]) {
      const run = await berth(env, runArgs(env, id));
      expect(run.code, run.stderr).toBe(ExitCode.USAGE);
      expect(stderrLines(run)).toEqual([
        `berth: job id ${JSON.stringify(id)} is not safe: use 1–128 characters of A–Z a–z 0–9 . _ -, starting with a letter or digit, without ".." (it becomes a directory name)`,
      ]);
    }
    expect(existsSync(escaped)).toBe(false);
    expect(existsSync(env.chk) ? readdirSync(env.chk) : []).toEqual([]);
  });
});
