/**
 * `berth stop`, `berth savepoint` and `berth status`: trigger through the job's control
 * plane, then follow the operation until it completes — at most `--timeout` — showing its
 * phases live in a terminal.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { absoluteLocation } from "../checkpoint/locations.js";
import { ControlClient } from "./control-client.js";
import { CliError, ExitCode } from "./exit-codes.js";

/** Longer than the job's own bounds: waiting to run, the checkpoint timeout, the commit deadline. */
export const DEFAULT_TIMEOUT_MS = 180_000;

interface OperationStatus {
  status: { id: "IN_PROGRESS" | "COMPLETED" };
  kind?: "stop" | "savepoint";
  phase: string;
  commits: { done: number; total: number };
  operation?: { location?: string; "failure-cause"?: { code: string; message: string } };
}

export interface TriggerFlags {
  readonly drain?: boolean;
  readonly type: string;
  readonly directory?: string;
  readonly detached?: boolean;
  readonly json?: boolean;
  readonly timeoutMs: number;
}

/** What the operation waits for in each phase, for the line printed when `--timeout` passes. */
const WAITING_FOR: Record<string, string> = {
  "waiting-for-running": "the job to reach RUNNING",
  "barrier-injected": "every subtask to write its state for the barrier",
  "snapshot-written": "the savepoint's commits to begin",
  committing: "the sinks' commits",
};

/** Exit code of a completed operation's failure, by its stable code. */
function failureExitCode(code: string): number {
  if (code === "STOP_REJECTED") return ExitCode.JOB_NOT_AVAILABLE;
  if (code === "COMMIT_DEADLINE_EXCEEDED") return ExitCode.PENDING_COMMITS;
  return ExitCode.SAVEPOINT_FAILED;
}

export async function triggerCommand(
  kind: "stop" | "savepoint",
  jobId: string,
  flags: TriggerFlags,
  print: (line: string) => void,
): Promise<number> {
  const type = flags.type.toLowerCase();
  if (type !== "canonical" && type !== "native")
    throw new CliError(`--type ${flags.type}: use canonical or native`, ExitCode.USAGE);
  const client = ControlClient.forJob(jobId);
  const triggerId = randomUUID();
  const body = {
    ...(kind === "stop" ? { drain: flags.drain ?? false } : {}),
    formatType: type.toUpperCase(),
    triggerId,
    ...(flags.directory ? { targetDirectory: absoluteLocation(flags.directory) } : {}),
  };
  await client.request("POST", `/jobs/${jobId}/${kind === "stop" ? "stop" : "savepoints"}`, body);
  if (flags.detached) {
    print(flags.json ? JSON.stringify({ jobId, triggerId }) : triggerId);
    return ExitCode.OK;
  }
  return followOperation(client, jobId, triggerId, kind, flags, print);
}

/** Follows trigger `triggerId` of job `jobId` until it completes or `flags.timeoutMs` passes. */
export async function followOperation(
  client: ControlClient,
  jobId: string,
  triggerId: string,
  kind: "stop" | "savepoint" | undefined,
  flags: { readonly json?: boolean; readonly timeoutMs: number },
  print: (line: string) => void,
): Promise<number> {
  const live = process.stdout.isTTY && !flags.json;
  const until = Date.now() + flags.timeoutMs;
  let lastPhase = "";
  while (true) {
    const status = await client.request<OperationStatus>("GET", `/jobs/${jobId}/savepoints/${triggerId}`);
    const what = status.kind ?? kind ?? "operation";
    const phase =
      status.phase === "committing" ? `commits ${status.commits.done}/${status.commits.total}` : status.phase;
    if (live && phase !== lastPhase) print(`  ${phase}`);
    lastPhase = phase;
    if (status.status.id === "COMPLETED") {
      const failure = status.operation?.["failure-cause"];
      if (failure)
        throw new CliError(
          `${what} of job ${jobId} failed: ${failure.message}`,
          failureExitCode(failure.code),
        );
      const savepoint = status.operation?.location ?? "";
      if (flags.json)
        print(JSON.stringify({ jobId, savepoint, state: what === "stop" ? "FINISHED" : "RUNNING" }));
      else print(`savepoint: ${savepoint}`);
      return ExitCode.OK;
    }
    if (Date.now() >= until)
      throw new CliError(
        `gave up after ${flags.timeoutMs / 1000} s waiting for ${WAITING_FOR[status.phase] ?? status.phase} (${what} of job ${jobId}); it goes on: follow it with berth status ${jobId} ${triggerId}, or raise --timeout`,
        ExitCode.TIMED_OUT,
      );
    await sleep(100);
  }
}
