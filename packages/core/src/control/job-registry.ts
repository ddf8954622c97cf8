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

/** The start time of process `pid`, or undefined when no such process runs. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime) counts after the parenthesised command name, which may hold spaces.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    try {
      process.kill(pid, 0);
      return "unknown"; // not Linux: the process exists, its start time is not known
    } catch {
      return undefined;
    }
  }
}

export function isLive(registration: JobRegistration): boolean {
  const started = processStartTime(registration.pid);
  return started !== undefined && (started === "unknown" || started === registration.processStartTime);
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
      if (isLive(entry)) live.push(entry);
    } catch {
      // A half-written or foreign file is not a registration.
    }
  }
  return live;
}

export function findJob(jobId: string): JobRegistration | undefined {
  return liveJobs().find((j) => j.jobId === jobId);
}
