/**
 * The per-user registry of running jobs (`$BERTH_HOME/jobs/<job id>.json`, default
 * `~/.berth`), so the CLI finds a job's control plane by its id alone. An entry whose
 * process is gone, or whose pid now belongs to another process (start time differs), is
 * stale and ignored. A live job holds a kernel lock beside its entry, so no other process
 * overwrites or removes it (a second job with its id is refused instead).
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ensureDirectory, writeAtomically } from "../checkpoint/atomic-file.js";
import { lockJobIdAt } from "../locks/job-id-lock.js";
import { isProcessLive, processStartTime } from "../locks/process-identity.js";
import { assertSafeName } from "../safe-name.js";

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

/** A job's hold on its registry entry, from before its control plane starts to its end. */
export interface RegistryClaim {
  /** Writes the entry (pid and start time of this process added). */
  publish(registration: Omit<JobRegistration, "jobId" | "pid" | "processStartTime">): Promise<void>;
  /** Removes the entry — it is this process's, the lock says so — and gives the lock back. */
  release(): void;
}

/**
 * Claims `jobId` in this registry: a kernel lock beside the entry (`<job id>.lock`), so the
 * entry of a live job is never overwritten or removed by another process. Refused with
 * {@link JobIdInUseError} naming the live holder.
 */
export async function claimRegistration(jobId: string): Promise<RegistryClaim> {
  await ensureDirectory(jobsDirectory());
  const file = join(jobsDirectory(), `${assertSafeName("job id", jobId)}.json`);
  const lock = await lockJobIdAt(join(jobsDirectory(), `${jobId}.lock`), jobId);
  return {
    async publish(registration) {
      const entry: JobRegistration = {
        ...registration,
        jobId,
        pid: process.pid,
        processStartTime: processStartTime(process.pid) ?? "unknown",
      };
      await writeAtomically(file, JSON.stringify(entry));
    },
    release() {
      rmSync(file, { force: true });
      lock.release();
    },
  };
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
