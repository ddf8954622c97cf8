/**
 * Signals reach the job whatever launched it, real processes throughout: SIGTERM to the outer
 * `pnpm berth run` / `npx berth run` process (the pid a supervisor sees) and Ctrl-C (SIGINT to the
 * process group) stop the job with a savepoint, the launcher exits with the job's code (0, no
 * ELIFECYCLE) and no process is left behind; when a launcher that forwards nothing (`sh -c`, npx
 * under npm's default script shell) dies, the job stops with a savepoint as on SIGTERM. Every seq
 * before the savepoint is committed once.
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

/**
 * The launchers a supervisor or a terminal starts a job with. pnpm runs the root `berth` script
 * (`exec node …`); npx runs the bin under the script shell, bash per the repository's .npmrc.
 */
const launchers = [
  { name: "pnpm berth run", command: "pnpm", args: ["berth"] },
  { name: "npx berth run", command: "npx", args: ["berth"] },
] as const;

describe.each(launchers)("signals reach the job under `$name`", ({ command, args }) => {
  it("SIGTERM to the outer process: savepoint, it exits 0, nothing left running", async () => {
    const env = environment(`${command}-sigterm`);
    const outer = startCommand(env, command, [...args, ...runArgs(env, `${command}-term`)]);
    await started(outer, env, 2);
    const job = jobProcess(env, `${command}-term`);
    expect(job.pid).not.toBe(outer.child.pid);
    outer.child.kill("SIGTERM");
    expect(await outer.exited, `${outer.stdout}\n${outer.stderr}`).toBe(ExitCode.OK);
    expect(outer.stdout).toContain(`SIGTERM: stopping job ${command}-term with a savepoint`);
    expect(`${outer.stdout}${outer.stderr}`).not.toContain("ELIFECYCLE");
    await gone(job);
    expectEverySeqOnce(env, savepointOf(outer));
  });

  it("Ctrl-C (SIGINT to the process group): FINISHED, exit 0, no ELIFECYCLE", async () => {
    const env = environment(`${command}-sigint`);
    const outer = startCommand(env, command, [...args, ...runArgs(env, `${command}-int`)], {
      detached: true,
    });
    await started(outer, env, 2);
    const job = jobProcess(env, `${command}-int`);
    process.kill(-(outer.child.pid as number), "SIGINT");
    expect(await outer.exited, `${outer.stdout}\n${outer.stderr}`).toBe(ExitCode.OK);
    expect(outer.stdout).toContain(`SIGINT: stopping job ${command}-int with a savepoint`);
    expect(outer.stdout).toContain(`job ${command}-int FINISHED`);
    expect(`${outer.stdout}${outer.stderr}`).not.toContain("ELIFECYCLE");
    await gone(job);
    expectEverySeqOnce(env, savepointOf(outer));
  });
});

describe("signals reach the job through a launcher that forwards nothing", () => {
  it("npx with npm's default script shell (sh): the job stops with a savepoint, npm exits 143", async () => {
    const env = environment("npx-sh");
    const npx = startCommand(env, "npx", ["--script-shell=sh", "berth", ...runArgs(env, "npx-sh")]);
    await started(npx, env, 2);
    const job = jobProcess(env, "npx-sh");
    npx.child.kill("SIGTERM"); // npm passes it to sh, which dies; npm re-raises it on itself
    expect(await npx.exited).toBeNull();
    expect(npx.child.signalCode).toBe("SIGTERM");
    await gone(job);
    // The job writes to the pipe npm handed down, after npm itself has gone.
    await waitFor(() => npx.stdout.includes("FINISHED; savepoint:"), "the job's last line", 10_000);
    expectEverySeqOnce(env, savepointOf(npx));
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
