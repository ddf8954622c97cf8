/**
 * Helpers for tests that run `berth` as real child processes (`node packages/core/bin/berth.mjs
 * ...`) with their own BERTH_HOME, output and checkpoint directories. Every child still
 * running when a test ends is SIGKILLed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { committedFiles, waitFor, workDirectory } from "../test-support.js";

export const repo = resolve(fileURLToPath(new URL("../../../..", import.meta.url)));
export const bin = join(repo, "packages/core/bin/berth.mjs");
export const example = join(repo, "examples/sequence-to-files.ts");

export interface Env {
  readonly home: string;
  readonly out: string;
  readonly chk: string;
  /** More environment for the children. */
  readonly vars?: NodeJS.ProcessEnv;
}

export function environment(name: string, vars?: NodeJS.ProcessEnv): Env {
  const work = workDirectory(`cli-${name}`);
  return {
    home: join(work, "home"),
    out: join(work, "out"),
    chk: join(work, "chk"),
    ...(vars ? { vars } : {}),
  };
}

function childEnv(env: Env): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BERTH_HOME: env.home,
    OUT_DIR: env.out,
    SEQ_COUNT: "1000000",
    SEQ_RATE: "500",
    BERTH_LOG_LEVEL: "warn",
    ...env.vars,
  };
}

export interface Running {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

export function start(env: Env, args: string[]): Running {
  return startCommand(env, process.execPath, [bin, ...args]);
}

/**
 * Runs any `command` in `env` from the repository root (`pnpm berth …`, `sh -c …`);
 * `detached` gives it a process group of its own, as a terminal gives a foreground job.
 */
export function startCommand(
  env: Env,
  command: string,
  args: string[],
  options: { detached?: boolean } = {},
): Running {
  const child = spawn(command, args, { cwd: repo, env: childEnv(env), detached: options.detached ?? false });
  children.push(child);
  const running: Running = {
    child,
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
  };
  child.stdout?.on("data", (d: Buffer) => {
    running.stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    running.stderr += d.toString();
  });
  return running;
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export async function berth(env: Env, args: string[]): Promise<Finished> {
  const running = start(env, args);
  const code = await running.exited;
  return { code, stdout: running.stdout, stderr: running.stderr };
}

/** `berth run <pipeline> --job-id ID` with a short checkpoint interval. */
export function runArgs(env: Env, jobId: string, ...more: string[]): string[] {
  return runPipelineArgs(env, example, jobId, ...more);
}

export function runPipelineArgs(env: Env, pipeline: string, jobId: string, ...more: string[]): string[] {
  return [
    "run",
    pipeline,
    "--job-id",
    jobId,
    "--checkpoint-dir",
    env.chk,
    "--checkpoint-interval",
    "200",
    ...more,
  ];
}

/** Waits for the "started" line, then for `commits` more committed files. */
export async function started(running: Running, env: Env, commits: number): Promise<void> {
  await waitFor(
    () => running.stdout.includes("started"),
    `the job to start (stderr: ${running.stderr})`,
    60_000,
  );
  const before = committedFiles(env.out).length;
  await waitFor(() => committedFiles(env.out).length >= before + commits, "commits", 60_000);
}

/** The lines a command wrote to stderr: exactly one `berth: …` line on failure. */
export function stderrLines(result: { readonly stderr: string }): string[] {
  return result.stderr.trim().split("\n").filter(Boolean);
}
