/**
 * A SIGTERM to `berth run` while the job is CREATED (its lingering cleanup is slow) or
 * RESTARTING (right after "job failed, restarting") waits for RUNNING and then stops with a
 * savepoint (issue 9, finding 5): the job ends FINISHED, exit 0, and the files on disk hold
 * every record before the savepoint's position once.
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
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

const repo = resolve(fileURLToPath(new URL("../../../..", import.meta.url)));
const bin = join(repo, "packages/core/bin/berth.mjs");
const pipeline = join(repo, "packages/core/src/cli/test-pipelines/held-start.ts");
const EXIT_LIMIT_MS = 60_000;

async function sigtermWhileHeld(name: string, env: Record<string, string>): Promise<void> {
  const work = workDirectory(`signal-${name}`);
  const out = join(work, "out");
  const child = spawn(
    process.execPath,
    [
      bin,
      "run",
      pipeline,
      "--job-id",
      name,
      "--checkpoint-dir",
      join(work, "chk"),
      "--checkpoint-interval",
      "100",
    ],
    {
      cwd: repo,
      env: { ...process.env, BERTH_HOME: join(work, "home"), OUT_DIR: out, BERTH_LOG_LEVEL: "warn", ...env },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  try {
    await waitFor(
      () => stdout.includes(`holding start ${env.HOLD_START}`),
      `the held start (stderr: ${stderr})`,
      60_000,
    );
    child.kill("SIGTERM");
    const code = await Promise.race([exited, waitFor(() => false, "the job to exit", EXIT_LIMIT_MS)]);
    expect(code, `stdout: ${stdout}\nstderr: ${stderr}`).toBe(ExitCode.OK);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
  expect(stdout).not.toContain("stop failed");
  const savepoint = /FINISHED; savepoint: (\S+)/.exec(stdout)?.[1] as string;
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
