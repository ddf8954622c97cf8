/**
 * Runs the conformance job in a real child process (`node --import tsx job-runner`), so a
 * crash is a real SIGKILL of the process that holds the transactions.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EVENT_PREFIX, RUN_ENV, type RunnerEvent, type RunnerSpec } from "./runner-protocol.js";

export interface ChildRun {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly events: readonly RunnerEvent[];
  /** The job's end, when it got that far. */
  readonly end: Extract<RunnerEvent, { event: "end" }> | undefined;
  /** Last lines of the child's stderr, for reports. */
  readonly stderr: string;
  readonly durationMs: number;
  /** True when the kit killed it for running past its timeout. */
  readonly timedOut: boolean;
}

export interface ChildOptions {
  /** `BERTH_FAULT` for the child, e.g. `mid-commit@3`. */
  readonly fault?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Send the child SIGTERM when it reports this event. */
  readonly sigtermOn?: RunnerEvent["event"];
}

/** At most this many job processes at once, whatever the number of concurrent cases. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

const slots = new Slots(Math.max(2, availableParallelism()));

function runnerScript(): string {
  const ts = new URL("./job-runner.ts", import.meta.url);
  const js = new URL("./job-runner.js", import.meta.url);
  return fileURLToPath(import.meta.url.endsWith(".ts") || !existsSync(fileURLToPath(js)) ? ts : js);
}

/** `--import tsx` so the runner and the author's TypeScript factory load without a build. */
function tsxLoader(): string | undefined {
  for (const from of [import.meta.url, pathToFileURL(`${process.cwd()}/`).href]) {
    try {
      return pathToFileURL(createRequire(from).resolve("tsx")).href;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

const loader = tsxLoader();

export function runChildJob(spec: RunnerSpec, options: ChildOptions): Promise<ChildRun> {
  return slots.run(() => spawnChild(spec, options));
}

function spawnChild(spec: RunnerSpec, options: ChildOptions): Promise<ChildRun> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? "warn",
    ...options.env,
    [RUN_ENV]: JSON.stringify(spec),
  };
  delete env.BERTH_FAULT;
  delete env.NODE_OPTIONS;
  if (options.fault) env.BERTH_FAULT = options.fault;
  const args = [...(loader ? ["--import", loader] : []), runnerScript()];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const events: RunnerEvent[] = [];
    let stdoutRest = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (stdoutRest + chunk).split("\n");
      stdoutRest = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith(EVENT_PREFIX)) continue;
        const event = JSON.parse(line.slice(EVENT_PREFIX.length)) as RunnerEvent;
        events.push(event);
        if (event.event === options.sigtermOn && child.pid !== undefined) process.kill(child.pid, "SIGTERM");
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-8_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, options.timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      const end = events.find((e): e is Extract<RunnerEvent, { event: "end" }> => e.event === "end");
      resolve({ exitCode, signal, events, end, stderr, durationMs: Date.now() - started, timedOut });
    });
  });
}

/** One line saying how a child ended, for reports. */
export function describeChild(run: ChildRun): string {
  const how = run.timedOut
    ? `was still running after its timeout and was killed`
    : run.signal
      ? `died of ${run.signal}`
      : `exited with code ${run.exitCode}`;
  const end = run.end
    ? ` after the job ended ${run.end.state}${run.end.error ? ` (${run.end.error})` : ""}`
    : "";
  const tail = run.stderr.trim().split("\n").slice(-6).join("\n    ");
  return `the job process ${how}${end} in ${run.durationMs} ms${tail ? `; stderr:\n    ${tail}` : ""}`;
}
