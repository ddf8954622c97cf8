/**
 * Signals reach the job whatever launched it, real processes throughout: SIGTERM to the outer
 * `pnpm berth run` process (the pid a supervisor sees) and Ctrl-C (SIGINT to the process group)
 * under pnpm stop the job with a savepoint, pnpm exits with the job's code (0, no ELIFECYCLE) and
 * no process is left behind; when a launcher that forwards nothing (`sh -c`, as under `npx`) dies,
 * the job stops with a savepoint as on SIGTERM. Every seq before the savepoint is committed once.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isProcessLive } from "../locks/process-identity.js";
import { committedSeqs, duplicates, readMetadata, sequencePosition, waitFor } from "../test-support.js";
import {
  bin,
  type Env,
  environment,
  type Running,
  runArgs,
  startCommand,
  started,
} from "./cli-test-support.js";
import { ExitCode } from "./exit-codes.js";

type JobProcess = { pid: number; processStartTime: string };
const jobs: JobProcess[] = [];

// A failed test must not leave the job running: it is not a direct child of the test.
afterEach(() => {
  for (const job of jobs.splice(0)) if (isProcessLive(job)) process.kill(job.pid, "SIGKILL");
});

/** The job's own process, from its registry entry (pid and start time). */
function jobProcess(env: Env, jobId: string): JobProcess {
  const job = JSON.parse(readFileSync(join(env.home, "jobs", `${jobId}.json`), "utf8")) as JobProcess;
  jobs.push(job);
  return job;
}

function savepointOf(running: Running): string {
  const match = /FINISHED; savepoint: (\S+)/.exec(running.stdout);
  if (!match) throw new Error(`no savepoint in: ${running.stdout}\n${running.stderr}`);
  return match[1] as string;
}

function expectEverySeqOnce(env: Env, savepoint: string): void {
  expect(readMetadata(savepoint)).toMatchObject({ kind: "savepoint", stop: "suspend" });
  const seqs = committedSeqs(env.out);
  expect(duplicates(seqs)).toEqual([]);
  expect(seqs).toEqual(Array.from({ length: sequencePosition(savepoint, "sequence").end }, (_, i) => i));
}

async function gone(job: JobProcess): Promise<void> {
  await waitFor(() => !isProcessLive(job), `job process ${job.pid} to end`, 60_000);
}

describe("signals reach the job", () => {
  it("SIGTERM to the outer `pnpm berth run` process: savepoint, pnpm exits 0, nothing left running", async () => {
    const env = environment("pnpm-sigterm");
    const pnpm = startCommand(env, "pnpm", ["berth", ...runArgs(env, "pnpm-term")]);
    await started(pnpm, env, 2);
    const job = jobProcess(env, "pnpm-term");
    expect(job.pid).not.toBe(pnpm.child.pid);
    pnpm.child.kill("SIGTERM");
    expect(await pnpm.exited, `${pnpm.stdout}\n${pnpm.stderr}`).toBe(ExitCode.OK);
    expect(pnpm.stdout).toContain("SIGTERM: stopping job pnpm-term with a savepoint");
    expect(`${pnpm.stdout}${pnpm.stderr}`).not.toContain("ELIFECYCLE");
    await gone(job);
    expectEverySeqOnce(env, savepointOf(pnpm));
  });

  it("Ctrl-C (SIGINT to the process group) under pnpm: FINISHED, exit 0, no ELIFECYCLE", async () => {
    const env = environment("pnpm-sigint");
    const pnpm = startCommand(env, "pnpm", ["berth", ...runArgs(env, "pnpm-int")], { detached: true });
    await started(pnpm, env, 2);
    const job = jobProcess(env, "pnpm-int");
    process.kill(-(pnpm.child.pid as number), "SIGINT");
    expect(await pnpm.exited, `${pnpm.stdout}\n${pnpm.stderr}`).toBe(ExitCode.OK);
    expect(pnpm.stdout).toContain("SIGINT: stopping job pnpm-int with a savepoint");
    expect(pnpm.stdout).toContain("job pnpm-int FINISHED");
    expect(`${pnpm.stdout}${pnpm.stderr}`).not.toContain("ELIFECYCLE");
    await gone(job);
    expectEverySeqOnce(env, savepointOf(pnpm));
  });

  it("the death of a launcher that forwards no signal (`sh -c`, as under npx) stops the job with a savepoint", async () => {
    const env = environment("launcher-death");
    const command = [process.execPath, bin, ...runArgs(env, "orphan")].map((a) => `'${a}'`).join(" ");
    // `; true` keeps sh waiting as the job's parent instead of exec-ing it.
    const shell = startCommand(env, "sh", ["-c", `${command}; true`]);
    await started(shell, env, 2);
    const job = jobProcess(env, "orphan");
    expect(job.pid).not.toBe(shell.child.pid);
    shell.child.kill("SIGTERM"); // sh dies at once and forwards nothing
    await shell.exited;
    await gone(job);
    expect(shell.stdout).toContain(
      `the launching process ${shell.child.pid} ended: stopping job orphan with a savepoint`,
    );
    const savepoint = savepointOf(shell);
    expect(existsSync(join(savepoint, "_metadata"))).toBe(true);
    expectEverySeqOnce(env, savepoint);
  });
});
