/**
 * The kernel lock across real processes: the lock of a SIGKILLed owner is taken over by
 * exactly one of five contenders started at once. The verdict is the kernel's own lock table
 * (`/proc/locks`), not the contenders' word; the refused ones name the winner.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { workDirectory } from "../test-support.js";
import type { LockHolder } from "./kernel-lock.js";

const here = dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "loader.mjs"),
).href;

interface Outcome {
  readonly won: boolean;
  readonly pid: number;
  readonly holder?: LockHolder;
}

interface Contender {
  readonly child: ChildProcess;
  readonly outcome: Promise<Outcome>;
  readonly exited: Promise<void>;
}

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function contender(path: string, jobId: string): Contender {
  const child = spawn(
    process.execPath,
    ["--import", tsxLoader, join(here, "lock-contender.fixture.ts"), path, jobId],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  children.push(child);
  let stdout = "";
  const outcome = new Promise<Outcome>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes("\n")) resolve(JSON.parse(stdout.slice(0, stdout.indexOf("\n"))) as Outcome);
    });
    child.on("exit", (code) => reject(new Error(`contender exited (${code}) before reporting: ${stdout}`)));
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return { child, outcome, exited };
}

/** Pids the kernel lists as holding a POSIX lock on `path` (Linux /proc/locks). */
function kernelLockHolders(path: string): number[] {
  const inode = statSync(path).ino;
  const pids = new Set<number>();
  for (const line of readFileSync("/proc/locks", "utf8").split("\n")) {
    // "1: POSIX  ADVISORY  WRITE 4242 08:01:1234 1073741826 1073742335"
    const fields = line.trim().split(/\s+/);
    if (fields[1] === "POSIX" && Number(fields[5]?.split(":")[2]) === inode) pids.add(Number(fields[4]));
  }
  return [...pids];
}

describe.skipIf(!existsSync("/proc/locks"))("kernel lock across processes", () => {
  it("five contenders race for a SIGKILLed owner's lock: exactly one wins, the others name it", async () => {
    const path = join(workDirectory("kernel-lock-race"), "job.lock");
    const owner = contender(path, "owner");
    owner.child.stdin?.write("go\n");
    expect((await owner.outcome).won).toBe(true);
    expect(kernelLockHolders(path)).toEqual([owner.child.pid]);
    owner.child.kill("SIGKILL");
    await owner.exited;
    // The dead owner's record is still there: it must not count as a holder.
    expect(JSON.parse(readFileSync(`${path}.holder`, "utf8")).pid).toBe(owner.child.pid);
    expect(kernelLockHolders(path)).toEqual([]);

    const racers = Array.from({ length: 5 }, (_, i) => contender(path, `racer-${i}`));
    // Each waits for its line; all are told at once, after every one of them has started.
    for (const racer of racers) racer.child.stdin?.write("go\n");
    const outcomes = await Promise.all(racers.map((r) => r.outcome));

    const winners = outcomes.filter((o) => o.won);
    expect(winners).toHaveLength(1);
    const winner = winners[0] as Outcome;
    expect(kernelLockHolders(path)).toEqual([winner.pid]);
    for (const loser of outcomes.filter((o) => !o.won)) {
      expect(loser.holder?.pid).toBe(winner.pid);
      expect(loser.holder?.jobId).toMatch(/^racer-/);
    }
    // Released by its holder: the next one wins.
    const winnerProcess = racers.find((r) => r.child.pid === winner.pid) as Contender;
    winnerProcess.child.stdin?.end();
    await winnerProcess.exited;
    const next = contender(path, "next");
    next.child.stdin?.write("go\n");
    expect((await next.outcome).won).toBe(true);
    next.child.stdin?.end();
    await next.exited;
  });
});
