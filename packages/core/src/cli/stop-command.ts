/**
 * `berth stop` and `berth savepoint`: trigger through the job's control plane, then follow
 * the operation until it completes, showing its phases live in a terminal.
 */
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ControlClient } from "./control-client.js";
import { CliError, ExitCode } from "./exit-codes.js";

interface OperationStatus {
  status: { id: "IN_PROGRESS" | "COMPLETED" };
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
    ...(flags.directory ? { targetDirectory: resolve(flags.directory) } : {}),
  };
  await client.request("POST", `/jobs/${jobId}/${kind === "stop" ? "stop" : "savepoints"}`, body);
  if (flags.detached) {
    print(flags.json ? JSON.stringify({ jobId, triggerId }) : triggerId);
    return ExitCode.OK;
  }
  const live = process.stdout.isTTY && !flags.json;
  let lastPhase = "";
  while (true) {
    const status = await client.request<OperationStatus>("GET", `/jobs/${jobId}/savepoints/${triggerId}`);
    const phase =
      status.phase === "committing" ? `commits ${status.commits.done}/${status.commits.total}` : status.phase;
    if (live && phase !== lastPhase) print(`  ${phase}`);
    lastPhase = phase;
    if (status.status.id === "COMPLETED") {
      const failure = status.operation?.["failure-cause"];
      if (failure)
        throw new CliError(`${kind} of job ${jobId} failed: ${failure.message}`, ExitCode.JOB_NOT_AVAILABLE);
      const savepoint = status.operation?.location ?? "";
      if (flags.json)
        print(JSON.stringify({ jobId, savepoint, state: kind === "stop" ? "FINISHED" : "RUNNING" }));
      else print(`savepoint: ${savepoint}`);
      return ExitCode.OK;
    }
    await sleep(100);
  }
}
