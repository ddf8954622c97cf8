import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { workDirectory } from "../test-support.js";
import { describeHolder, probeKernelLock, tryAcquireKernelLock } from "./kernel-lock.js";

describe("kernel lock in one process", () => {
  it("refuses a second connection while held, names the holder, and is free again after release", async () => {
    const path = join(workDirectory("kernel-lock"), "x.lock");
    expect(await probeKernelLock(path)).toEqual({ held: false });
    expect(existsSync(path)).toBe(false); // a probe creates nothing

    const first = await tryAcquireKernelLock(path, "job-a");
    if (!first.acquired) throw new Error("the first attempt must win");
    const second = await tryAcquireKernelLock(path, "job-b");
    expect(second).toMatchObject({ acquired: false, holder: { jobId: "job-a", pid: process.pid } });
    expect(await probeKernelLock(path)).toMatchObject({ held: true, holder: { jobId: "job-a" } });
    // The probe closed its own connection; the lock is still held.
    expect((await tryAcquireKernelLock(path, "job-c")).acquired).toBe(false);
    expect(describeHolder(first.lock.holder, path)).toContain(`job job-a (pid ${process.pid} on `);

    first.lock.release();
    first.lock.release(); // idempotent
    expect(existsSync(`${path}.holder`)).toBe(false);
    expect(await probeKernelLock(path)).toEqual({ held: false });
    const third = await tryAcquireKernelLock(path, "job-c");
    expect(third.acquired).toBe(true);
    if (third.acquired) third.lock.release();
  });
});
