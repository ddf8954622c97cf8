/**
 * Small process and port helpers for the service launchers: pid files that survive a SIGKILL of
 * the service (a stale file is recognised and replaced), loopback port probes, and the owner of
 * a listening port (Linux `/proc`, best effort) so a port conflict can name the process.
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { dirname } from "node:path";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The process's command line as its arguments, or undefined when it is gone or unreadable. */
export function commandLine(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    // A zombie (exited, not yet reaped) has an empty command line: treat it as gone.
    if (raw.length === 0) return undefined;
    return raw.split("\0").filter((a) => a.length > 0);
  } catch {
    return undefined;
  }
}

export interface PidRecord {
  pid: number;
  /** A JVM argument that only this service instance has on its command line. */
  marker: string;
}

/** Reads a pid file; undefined when it is missing or unreadable. */
export function readPidFile(file: string): PidRecord | undefined {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as Partial<PidRecord>;
    if (typeof value.pid === "number" && typeof value.marker === "string") {
      return { pid: value.pid, marker: value.marker };
    }
  } catch {
    // missing or torn: treated as absent
  }
  return undefined;
}

export function writePidFile(file: string, record: PidRecord): void {
  writeFileSync(file, `${JSON.stringify(record)}\n`);
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

/** True when `pid` is alive and is the process the record describes (not a reused pid). */
export function isRecordedProcess(record: PidRecord): boolean {
  return isAlive(record.pid) && (commandLine(record.pid)?.includes(record.marker) ?? false);
}

/** A loopback port free right now, for a server of its own (a private instance). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Whether something accepts TCP connections on host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export interface PortHolder {
  pid: number;
  command: string[];
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const state = cols[3];
      const inode = cols[9];
      if (!local || state !== "0A" || !inode) continue; // 0A = LISTEN
      const hexPort = local.split(":")[1];
      if (hexPort && Number.parseInt(hexPort, 16) === port) inodes.add(inode);
    }
  }
  return inodes;
}

/** The process listening on `port`, when `/proc` tells (Linux, and permission to read it). */
export function findPortHolder(port: number): PortHolder | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m?.[1] && inodes.has(m[1])) {
        return { pid: Number(pid), command: commandLine(Number(pid)) ?? [] };
      }
    }
  }
  return undefined;
}

/** A short description of a process for messages: `pid 123 (java ... kafka.Kafka)`. */
export function describeHolder(holder: PortHolder | undefined): string {
  if (!holder) return "another process";
  const cmd = holder.command.join(" ");
  const short = cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd;
  return `pid ${holder.pid}${short ? ` (${short})` : ""}`;
}

/** The last `lines` lines of a file, or "" when it cannot be read. */
export async function tailFile(file: string, lines = 20): Promise<string> {
  try {
    const text = await readFile(file, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Runs `fn` while holding an exclusive lock file (pid inside). A lock whose holder died is
 * taken over, so a SIGKILLed `services up` never blocks the next one.
 */
export async function withLockFile<T>(file: string, fn: () => Promise<T>, waitMs = 15 * 60_000): Promise<T> {
  await mkdir(dirname(file), { recursive: true });
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(file, "utf8").trim());
      } catch {
        // vanished between open and read: retry at once
        continue;
      }
      if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
        removeFile(file);
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${file} is held by pid ${holder} for too long; stop that process or remove the file`,
        );
      }
      if (!announced) {
        process.stderr.write(`waiting for pid ${holder}, which holds ${file}\n`);
        announced = true;
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    removeFile(file);
  }
}
