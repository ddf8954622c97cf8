/**
 * The per-user registry of running jobs (`$BERTH_HOME/jobs/<job id>.json`, default
 * `~/.berth`), so the CLI finds a job's control plane by its id alone. An entry whose
 * process is gone, or whose pid now belongs to another process (start time differs), is
 * stale and ignored. A live job holds a kernel lock beside its entry, so no other process
 * overwrites or removes it (a second job with its id is refused instead). When a job ends its
 * entry stays, marked ended (its state and time, no token), for `berth list --all`.
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
  /** ISO time the job registered. */
  readonly startedAt?: string;
  /** Set once the job ended, with its final state; an ended entry is never a live job. */
  readonly endedAt?: string;
  readonly state?: string;
}

/** An entry as `berth list --all` shows it: a live job, an ended one, or one whose process died. */
export type RegistryEntry = JobRegistration & { readonly status: "live" | "ended" | "gone" };

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
  /**
   * Marks the entry ended with the job's final state (or removes it when the job never ran) —
   * it is this process's, the lock says so — and gives the lock back.
   */
  release(end?: { readonly state: string }): Promise<void>;
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
  let published: JobRegistration | undefined;
  return {
    async publish(registration) {
      published = {
        ...registration,
        jobId,
        pid: process.pid,
        processStartTime: processStartTime(process.pid) ?? "unknown",
        startedAt: new Date().toISOString(),
      };
      await writeAtomically(file, JSON.stringify(published));
    },
    async release(end) {
      try {
        if (published && end) {
          const { token: _token, ...kept } = published;
          await writeAtomically(
            file,
            JSON.stringify({ ...kept, endedAt: new Date().toISOString(), state: end.state }),
          );
        } else rmSync(file, { force: true });
      } finally {
        lock.release();
      }
    },
  };
}

/** Every entry of this registry, live, ended or gone (its process died without ending it). */
export function registryEntries(): RegistryEntry[] {
  let names: string[];
  try {
    names = readdirSync(jobsDirectory());
  } catch {
    return [];
  }
  const entries: RegistryEntry[] = [];
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    try {
      const entry = JSON.parse(readFileSync(join(jobsDirectory(), name), "utf8")) as JobRegistration;
      const status = entry.endedAt ? "ended" : isProcessLive(entry) ? "live" : "gone";
      entries.push({ ...entry, status });
    } catch {
      // A half-written or foreign file is not a registration.
    }
  }
  return entries;
}

/** Live registrations; stale and ended ones are skipped. */
export function liveJobs(): JobRegistration[] {
  return registryEntries().filter((e) => e.status === "live");
}

export function findJob(jobId: string): JobRegistration | undefined {
  return liveJobs().find((j) => j.jobId === jobId);
}
