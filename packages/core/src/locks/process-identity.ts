/**
 * Who a process is, in a way that survives pid reuse: its pid plus its start time (Linux
 * `/proc/<pid>/stat`), and the host it runs on. Registry entries and lock holders record it,
 * so a reader can tell a live holder from a dead one whose pid was handed to another process.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

export interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks since boot (Linux), or "unknown" elsewhere. */
  readonly processStartTime: string;
  readonly host: string;
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

export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, processStartTime: processStartTime(process.pid) ?? "unknown", host: hostname() };
}

/**
 * True when the process is alive on this host with the recorded start time. A process of
 * another host cannot be checked from here and counts as live.
 */
export function isProcessLive(identity: Omit<ProcessIdentity, "host"> & { host?: string }): boolean {
  if (identity.host !== undefined && identity.host !== hostname()) return true;
  const started = processStartTime(identity.pid);
  return started !== undefined && (started === "unknown" || started === identity.processStartTime);
}
