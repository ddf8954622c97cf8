/**
 * The exit-code table of docs/cli.md is true: the table is parsed from the doc, and each row
 * is produced by real `berth` child processes, with exactly one `berth: …` line on stderr for
 * every failure (none on success). A row added to the doc without a case here fails, and so
 * does an exit code in exit-codes.ts the doc does not list.
 */
import { readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PENDING_COMMITS_MESSAGE } from "../errors.js";
import { waitFor } from "../test-support.js";
import {
  berth,
  environment,
  type Finished,
  repo,
  runArgs,
  runPipelineArgs,
  start,
  started,
  stderrLines,
} from "./cli-test-support.js";
import { ExitCode } from "./exit-codes.js";

/** `| code | meaning |` rows under "## Exit codes" in docs/cli.md. */
function documentedExitCodes(): Map<number, string> {
  const doc = readFileSync(join(repo, "docs/cli.md"), "utf8");
  const section = doc.slice(doc.indexOf("## Exit codes"));
  const rows = new Map<number, string>();
  for (const line of section.slice(0, section.indexOf("\n## ", 3)).split("\n")) {
    const match = /^\|\s*(\d+)\s*\|\s*(.*?)\s*\|$/.exec(line);
    if (match) rows.set(Number(match[1]), match[2] as string);
  }
  return rows;
}

const testPipeline = (name: string) => join(repo, "packages/core/src/cli/testing", `${name}.ts`);

/** A failure: the documented code and exactly one `berth: …` line matching `line`. */
function expectFailure(result: Finished, code: number, line: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  const lines = stderrLines(result);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^berth: /);
  expect(lines[0]).toMatch(line);
}

const cases: Record<number, () => Promise<void>> = {
  [ExitCode.OK]: async () => {
    const env = environment("exit-ok", { SEQ_COUNT: "50", SEQ_RATE: "0" });
    const run = await berth(env, runArgs(env, "exit-ok"));
    expect(run.code, run.stderr).toBe(ExitCode.OK);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("job exit-ok FINISHED");
  },
  [ExitCode.JOB_FAILED]: async () => {
    const env = environment("exit-failed");
    const run = await berth(env, runPipelineArgs(env, testPipeline("failing-map"), "exit-failed"));
    // The line names the operator uid and subtask the error came from.
    expectFailure(
      run,
      ExitCode.JOB_FAILED,
      /job exit-failed FAILED: operator "to-record" subtask 0 failed: record 20 is poison/,
    );
  },
  [ExitCode.USAGE]: async () => {
    const env = environment("exit-usage");
    expectFailure(
      await berth(env, runArgs(env, "exit-usage", "--bogus")),
      ExitCode.USAGE,
      /unknown option '--bogus'/,
    );
    expectFailure(await berth(env, ["stop"]), ExitCode.USAGE, /missing required argument 'jobId'/);
    const factory = await berth(env, runPipelineArgs(env, testPipeline("throwing-factory"), "exit-usage"));
    expectFailure(
      factory,
      ExitCode.USAGE,
      /pipeline factory of .*throwing-factory.ts threw: KAFKA_TOPIC is not set/,
    );
    expect(factory.stdout).not.toContain("started");
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = String((taken.address() as AddressInfo).port);
    const busy = await berth(env, runArgs(env, "exit-usage", "--rest-port", port));
    taken.close();
    expectFailure(
      busy,
      ExitCode.USAGE,
      new RegExp(`--rest-port port ${port}: the port is already in use \\(EADDRINUSE\\)`),
    );
  },
  [ExitCode.JOB_CANCELED]: async () => {
    const env = environment("exit-canceled");
    const running = start(env, runArgs(env, "exit-canceled"));
    await started(running, env, 1);
    const cancel = await berth(env, ["cancel", "exit-canceled"]);
    expect(cancel.code, cancel.stderr).toBe(ExitCode.OK);
    expect(await running.exited).toBe(ExitCode.JOB_CANCELED);
    expect(running.stderr).toBe("");
  },
  [ExitCode.PENDING_COMMITS]: async () => {
    const env = environment("exit-pending");
    const running = start(
      env,
      runPipelineArgs(env, testPipeline("stuck-commits"), "exit-pending", "--commit-deadline", "1000"),
    );
    await waitFor(() => running.stdout.includes("started"), "the job to start", 60_000);
    const stop = await berth(env, ["stop", "exit-pending"]);
    expectFailure(stop, ExitCode.PENDING_COMMITS, new RegExp(PENDING_COMMITS_MESSAGE));
    expect(await running.exited).toBe(ExitCode.PENDING_COMMITS);
    expectFailure(
      { ...running, code: ExitCode.PENDING_COMMITS },
      ExitCode.PENDING_COMMITS,
      /job exit-pending FAILED: .*savepoint is consistent/,
    );
  },
  [ExitCode.JOB_NOT_AVAILABLE]: async () => {
    const env = environment("exit-unavailable");
    expectFailure(
      await berth(env, ["stop", "no-such-job"]),
      ExitCode.JOB_NOT_AVAILABLE,
      /no running job no-such-job/,
    );
    expectFailure(
      await berth(env, ["cancel", "no-such-job"]),
      ExitCode.JOB_NOT_AVAILABLE,
      /no running job no-such-job/,
    );
  },
  [ExitCode.RESTORE_FAILED]: async () => {
    const env = environment("exit-restore");
    const missing = join(env.chk, "no-such-savepoint");
    const run = await berth(env, runArgs(env, "exit-restore", "-s", missing));
    expectFailure(run, ExitCode.RESTORE_FAILED, /does not exist/);
    expect(run.stdout).not.toContain("started");
    expectFailure(await berth(env, ["info", missing]), ExitCode.RESTORE_FAILED, /does not exist/);
  },
  [ExitCode.SAVEPOINT_FAILED]: async () => {
    const env = environment("exit-savepoint");
    const running = start(env, runArgs(env, "exit-savepoint"));
    await started(running, env, 1);
    const savepoint = await berth(env, ["savepoint", "exit-savepoint", "/proc/berth-nope"]);
    expectFailure(savepoint, ExitCode.SAVEPOINT_FAILED, /\/proc\/berth-nope: .*\(ENOENT\)/);
    const stop = await berth(env, ["stop", "exit-savepoint"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    expect(await running.exited).toBe(ExitCode.OK);
  },
  [ExitCode.TIMED_OUT]: async () => {
    const env = environment("exit-timeout");
    const running = start(env, runPipelineArgs(env, testPipeline("stuck-commits"), "exit-timeout"));
    await waitFor(() => running.stdout.includes("started"), "the job to start", 60_000);
    const stop = await berth(env, ["stop", "exit-timeout", "--timeout", "0.2"]);
    expectFailure(
      stop,
      ExitCode.TIMED_OUT,
      /gave up after 0.2 s waiting for .* \(stop of job exit-timeout\); .*berth status exit-timeout /,
    );
  },
  [ExitCode.IN_USE]: async () => {
    const env = environment("exit-in-use");
    const first = start(env, runArgs(env, "exit-in-use"));
    await started(first, env, 1);
    const second = await berth(env, runArgs(env, "exit-in-use"));
    expectFailure(second, ExitCode.IN_USE, /exit-in-use/);
    expect(second.stdout).not.toContain("started");
    const stop = await berth(env, ["stop", "exit-in-use"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    expect(await first.exited).toBe(ExitCode.OK);
  },
};

describe("the exit codes of docs/cli.md", () => {
  const documented = documentedExitCodes();

  it("lists every code the CLI uses, and the CLI uses every code it lists", () => {
    expect([...documented.keys()].sort()).toEqual(Object.values(ExitCode).sort());
  });

  for (const [code, meaning] of documented) {
    it(`${code}: ${meaning}`, async () => {
      const check = cases[code];
      if (!check) throw new Error(`docs/cli.md documents exit code ${code} but this file has no case for it`);
      await check();
    });
  }
});
