/**
 * Flink habits carry over (issue 10, item 7), against real `berth` processes: a `--detached`
 * savepoint followed with `berth status`, `stop -d` (drain), `list` with start times and
 * `list --all` with finished and dead jobs, `savepoint --dispose PATH` (a checkpoint refused),
 * and `-n` for `--allow-non-restored-state`.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readMetadata } from "../test-support.js";
import {
  berth,
  environment,
  repo,
  runArgs,
  runPipelineArgs,
  start,
  started,
  stderrLines,
} from "./cli-test-support.js";
import { ExitCode } from "./exit-codes.js";

interface Listed {
  jobId: string;
  state: string;
  startedAt: string | null;
  endedAt: string | null;
}

async function list(env: ReturnType<typeof environment>, ...flags: string[]): Promise<Listed[]> {
  const result = await berth(env, ["list", "--json", ...flags]);
  expect(result.code, result.stderr).toBe(ExitCode.OK);
  return JSON.parse(result.stdout) as Listed[];
}

describe("Flink habits", () => {
  it("savepoint --detached then berth status; stop -d drains; list shows start times, list --all finished and dead jobs; --dispose deletes a savepoint only", async () => {
    const env = environment("habits");
    const running = start(env, runArgs(env, "habits"));
    await started(running, env, 1);
    const other = { ...env, out: join(env.chk, "..", "out-dead"), chk: join(env.chk, "..", "chk-dead") };
    const dead = start(other, runArgs(other, "habits-dead"));
    await started(dead, other, 1);

    const detached = await berth(env, ["savepoint", "habits", "--detached", "--json"]);
    expect(detached.code, detached.stderr).toBe(ExitCode.OK);
    const { triggerId } = JSON.parse(detached.stdout) as { triggerId: string };
    const status = await berth(env, ["status", "habits", triggerId, "--json"]);
    expect(status.code, status.stderr).toBe(ExitCode.OK);
    const saved = JSON.parse(status.stdout) as { savepoint: string; state: string };
    expect(saved.state).toBe("RUNNING");
    expect(readMetadata(saved.savepoint)).toMatchObject({ kind: "savepoint", jobId: "habits" });

    const live = await list(env);
    expect(live.map((j) => [j.jobId, j.state]).sort()).toEqual([
      ["habits", "RUNNING"],
      ["habits-dead", "RUNNING"],
    ]);
    for (const job of live) expect(Number.isNaN(Date.parse(job.startedAt ?? ""))).toBe(false);

    const drain = await berth(env, ["stop", "habits", "-d", "--json"]);
    expect(drain.code, drain.stderr).toBe(ExitCode.OK);
    expect(readMetadata((JSON.parse(drain.stdout) as { savepoint: string }).savepoint).stop).toBe("drain");
    expect(await running.exited).toBe(ExitCode.OK);
    dead.child.kill("SIGKILL");
    await dead.exited;

    expect(await list(env)).toEqual([]);
    const all = await list(env, "--all");
    expect(all).toEqual([
      expect.objectContaining({ jobId: "habits", state: "FINISHED", endedAt: expect.any(String) }),
      expect.objectContaining({ jobId: "habits-dead", state: "GONE", endedAt: null }),
    ]);

    const checkpoint = join(env.chk, "habits");
    const chk = readdirSync(checkpoint).find((n) => existsSync(join(checkpoint, n, "_metadata")));
    if (chk) {
      const refused = await berth(env, ["savepoint", "--dispose", join(checkpoint, chk)]);
      expect(refused.code).toBe(ExitCode.USAGE);
      expect(stderrLines(refused)).toEqual([expect.stringContaining("not a savepoint")]);
      expect(existsSync(join(checkpoint, chk, "_metadata"))).toBe(true);
    }
    const dispose = await berth(env, ["savepoint", "--dispose", saved.savepoint]);
    expect(dispose.code, dispose.stderr).toBe(ExitCode.OK);
    expect(existsSync(saved.savepoint)).toBe(false);
    const again = await berth(env, ["savepoint", "--dispose", saved.savepoint]);
    expect(again.code).toBe(ExitCode.RESTORE_FAILED);
  });

  it("-n restores a savepoint holding state of an operator the pipeline no longer has", async () => {
    const env = environment("habits-n");
    const first = start(env, runArgs(env, "habits-n"));
    await started(first, env, 1);
    const stop = await berth(env, ["stop", "habits-n", "--json"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    expect(await first.exited).toBe(ExitCode.OK);
    const savepoint = (JSON.parse(stop.stdout) as { savepoint: string }).savepoint;
    const renamed = join(repo, "packages/core/src/cli/testing/renamed-map.ts");

    const refused = await berth(env, runPipelineArgs(env, renamed, "habits-n", "-s", savepoint));
    expect(refused.code).toBe(ExitCode.RESTORE_FAILED);
    expect(stderrLines(refused)).toEqual([expect.stringContaining("to-record")]);
    const second = start(env, runPipelineArgs(env, renamed, "habits-n", "-s", savepoint, "-n"));
    await started(second, env, 1);
    const stopped = await berth(env, ["stop", "habits-n"]);
    expect(stopped.code, stopped.stderr).toBe(ExitCode.OK);
    expect(await second.exited).toBe(ExitCode.OK);
  });
});
