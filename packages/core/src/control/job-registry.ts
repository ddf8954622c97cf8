/**
 * The per-user registry of running jobs (`$BERTH_HOME/jobs/<job id>.json`, default
 * `~/.berth`), so the CLI finds a job's control plane by its id alone. An entry whose
 * process is gone, or whose pid now belongs to another process (start time differs), is
 * stale and ignored.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ensureDirectory, writeAtomically } from "../checkpoint/atomic-file.js";
import { isProcessLive, processStartTime } from "../locks/process-identity.js";

export interface JobRegistration {
  readonly jobId: string;
  readonly pipeline: string;
  readonly pid: number;
  /** Process start time in clock ticks since boot (Linux /proc), to detect pid reuse. */
  readonly processStartTime: string;
  readonly port: number;
  readonly token?: string;
}

export function berthHome(): string {
  return process.env.BERTH_HOME ?? join(homedir(), ".berth");
}

function jobsDirectory(): string {
  return join(berthHome(), "jobs");
}

export async function register(
  registration: Omit<JobRegistration, "pid" | "processStartTime">,
): Promise<() => void> {
  await ensureDirectory(jobsDirectory());
  const file = join(jobsDirectory(), `${registration.jobId}.json`);
  const entry: JobRegistration = {
    ...registration,
    pid: process.pid,
    processStartTime: processStartTime(process.pid) ?? "unknown",
  };
  await writeAtomically(file, JSON.stringify(entry));
  return () => rmSync(file, { force: true });
}

/** Live registrations; stale ones are skipped. */
export function liveJobs(): JobRegistration[] {
  let names: string[];
  try {
    names = readdirSync(jobsDirectory());
  } catch {
    return [];
  }
  const live: JobRegistration[] = [];
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    try {
      const entry = JSON.parse(readFileSync(join(jobsDirectory(), name), "utf8")) as JobRegistration;
      if (isProcessLive(entry)) live.push(entry);
    } catch {
      // A half-written or foreign file is not a registration.
    }
  }
  return live;
}

export function findJob(jobId: string): JobRegistration | undefined {
  return liveJobs().find((j) => j.jobId === jobId);
}
