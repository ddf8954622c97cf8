/**
 * Claim modes (DESIGN.md, "Claim modes"), on the sqlite backend whose checkpoints are
 * incremental: NO_CLAIM never touches the savepoint (byte for byte) and its first checkpoint
 * is full; CLAIM marks the savepoint, references it, deletes it once subsumed and refuses a
 * second job; LEGACY warns, references, never deletes.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { infoCommand } from "../cli/info-command.js";
import { Job, type JobOptions } from "../job.js";
import {
  committedSeqs,
  duplicates,
  readMetadata,
  type SourceThrottle,
  sequencePosition,
  waitFor,
  workDirectory,
} from "../test-support.js";
import { parseClaimMode } from "./claim.js";
import { CLAIM_FILE } from "./metadata.js";
import { RestoreError, SavepointClaimedError } from "./restore-errors.js";
import {
  capturingLogger,
  countingPipeline,
  hashTree,
  isInside,
  keyedFiles,
  keyGroupsWithState,
  recordCheckpoints,
} from "./savepoint-test-support.js";

const KEYS = 8;

function job(
  work: string,
  out: string,
  throttle: SourceThrottle,
  options: Partial<JobOptions> & Pick<JobOptions, "jobId">,
): Job {
  return new Job(countingPipeline({ out, throttle, keys: KEYS }), {
    checkpointDirectory: join(work, "chk"),
    checkpointIntervalMs: 30,
    stateBackend: "sqlite",
    restartStrategy: { attempts: 0, delayMs: 0 },
    ...options,
  });
}

/** A sqlite job that emitted `records` records, stopped with a (canonical) savepoint. */
async function savepointOf(work: string, out: string, records: number): Promise<string> {
  const throttle = { allowed: records, emitted: 0 };
  const j = job(work, out, throttle, { jobId: "origin" });
  const checkpoints = recordCheckpoints(j);
  const run = j.run();
  await waitFor(() => throttle.emitted >= records, "the first records");
  const n = checkpoints.length;
  await waitFor(() => checkpoints.length >= n + 2, "checkpoints after them");
  const savepoint = await j.stop({ drain: false });
  expect((await run).state).toBe("FINISHED");
  return savepoint;
}

/** Every seq from `from` up to the source position of `snapshot` committed in `out`, each once. */
function expectContinuedExactlyOnce(out: string, from: number, snapshot: string): void {
  const seqs = committedSeqs(out);
  expect(duplicates(seqs)).toEqual([]);
  const end = sequencePosition(snapshot, "seq").end;
  expect(seqs).toEqual(Array.from({ length: end - from }, (_, i) => from + i));
}

describe("claim modes", () => {
  it("parse case-insensitively", () => {
    expect(
      ["no_claim", "NO_CLAIM", "No_Claim", "claim", "Claim", "LEGACY", "legacy"].map(parseClaimMode),
    ).toEqual(["NO_CLAIM", "NO_CLAIM", "NO_CLAIM", "CLAIM", "CLAIM", "LEGACY", "LEGACY"]);
    expect(parseClaimMode("own")).toBeUndefined();
  });

  it("NO_CLAIM: two jobs restore one savepoint, run, checkpoint and stop; it stays byte-for-byte unchanged and their first checkpoints are full", async () => {
    const work = workDirectory("no-claim");
    const savepoint = await savepointOf(work, join(work, "out"), 200);
    const before = hashTree(savepoint);
    const restoredGroups = keyGroupsWithState(readMetadata(savepoint));
    expect(restoredGroups.length).toBeGreaterThan(0);

    const runs = ["a", "b"].map((name) => {
      const out = join(work, `out-${name}`);
      const throttle = { allowed: 10_000, emitted: 0 };
      const j = job(work, out, throttle, { jobId: `restored-${name}`, restore: { path: savepoint } });
      return { out, throttle, job: j, checkpoints: recordCheckpoints(j), result: j.run() };
    });
    for (const r of runs) await waitFor(() => r.checkpoints.length >= 4, "four checkpoints of each job");
    const stops = await Promise.all(runs.map((r) => r.job.stop({ drain: false })));
    for (const r of runs) expect((await r.result).state).toBe("FINISHED");

    expect(hashTree(savepoint)).toEqual(before);
    expect(existsSync(join(savepoint, CLAIM_FILE))).toBe(false);
    for (const [i, r] of runs.entries()) {
      const first = r.checkpoints[0];
      expect(first?.id).toBe(readMetadata(savepoint).checkpointId + 1);
      const files = keyedFiles(first?.directory as string, first?.metadata);
      // References nothing in the savepoint, and holds every key group the savepoint held.
      expect(files.filter((f) => isInside(f, savepoint))).toEqual([]);
      for (const f of files)
        expect(isInside(f, join(work, "chk", `restored-${["a", "b"][i]}`, "shared"))).toBe(true);
      const firstGroups = keyGroupsWithState(first?.metadata as never);
      for (const g of restoredGroups) expect(firstGroups).toContain(g);
      // The restored jobs went on, exactly once after the savepoint's position.
      expectContinuedExactlyOnce(r.out, sequencePosition(savepoint, "seq").end, stops[i] as string);
    }
  });

  it("NO_CLAIM from the job's own checkpoint keeps that checkpoint and the chunks it references", async () => {
    const work = workDirectory("no-claim-own");
    const out = join(work, "out");
    const throttle = { allowed: 200, emitted: 0 };
    const first = job(work, out, throttle, { jobId: "same", retainedCheckpoints: 1 });
    const seen = recordCheckpoints(first);
    const run = first.run();
    await waitFor(() => throttle.emitted >= 200 && seen.length >= 3, "checkpoints");
    await first.cancel();
    expect((await run).state).toBe("CANCELED");
    const own = seen.at(-1)?.directory as string;
    const before = hashTree(own);

    const next = job(
      work,
      out,
      { allowed: 10_000, emitted: 0 },
      { jobId: "same", retainedCheckpoints: 1, restore: { path: own } },
    );
    const later = recordCheckpoints(next);
    const result = next.run();
    await waitFor(() => later.length >= 4, "checkpoints of the restored job");
    await next.stop({ drain: false });
    expect((await result).state).toBe("FINISHED");
    // Not pruned although newer checkpoints were retained, and still restorable (every chunk there).
    expect(hashTree(own)).toEqual(before);
    const again = job(
      work,
      join(work, "out-again"),
      { allowed: 0, emitted: 0 },
      { jobId: "again", restore: { path: own } },
    );
    const againRun = again.run();
    await waitFor(() => again.state === "RUNNING", "the restore of the kept checkpoint");
    await again.stop({ drain: false });
    expect((await againRun).state).toBe("FINISHED");
  });

  it("CLAIM marks the savepoint, references it, refuses a second job, and deletes it once subsumed", async () => {
    const work = workDirectory("claim");
    const out = join(work, "out");
    const savepoint = await savepointOf(work, out, 160);
    const claimedOut = join(work, "out-claimed");
    const throttle = { allowed: 0, emitted: 0 };
    const owner = job(work, claimedOut, throttle, {
      jobId: "owner",
      restore: { path: savepoint, claimMode: "CLAIM" },
    });
    const checkpoints = recordCheckpoints(owner);
    const run = owner.run();
    await waitFor(() => checkpoints.length >= 3, "checkpoints of the claiming job");
    const marker = JSON.parse(readFileSync(join(savepoint, CLAIM_FILE), "utf8")) as {
      jobId: string;
      claimedAt: string;
    };
    expect(marker.jobId).toBe("owner");
    expect(Number.isNaN(Date.parse(marker.claimedAt))).toBe(false);
    // Nothing changed since the restore: checkpoints reference the savepoint's chunks.
    const latest = checkpoints.at(-1);
    const referenced = keyedFiles(latest?.directory as string, latest?.metadata).filter((f) =>
      isInside(f, savepoint),
    );
    expect(referenced.length).toBe(keyGroupsWithState(readMetadata(savepoint)).length);
    expect(existsSync(savepoint)).toBe(true);

    // berth info says who claimed it.
    const lines: string[] = [];
    await infoCommand(savepoint, true, (l) => lines.push(l));
    expect(JSON.parse(lines[0] as string).claimed).toMatchObject({ jobId: "owner" });

    // A second job is refused, whatever its claim mode; nothing of it runs.
    for (const claimMode of ["CLAIM", "NO_CLAIM", "LEGACY"] as const) {
      const second = job(
        work,
        join(work, `out-second-${claimMode}`),
        { allowed: 1000, emitted: 0 },
        {
          jobId: `second-${claimMode}`,
          restore: { path: savepoint, claimMode },
        },
      );
      const refused = await second.run();
      expect(refused.state).toBe("FAILED");
      expect(refused.error).toBeInstanceOf(SavepointClaimedError);
      expect(refused.error).toBeInstanceOf(RestoreError);
      expect((refused.error as SavepointClaimedError).code).toBe("SAVEPOINT_CLAIMED");
      expect((refused.error as SavepointClaimedError).file).toBe(join(savepoint, CLAIM_FILE));
      expect(refused.error?.message).toContain("claimed by job owner");
      expect(committedSeqs(join(work, `out-second-${claimMode}`))).toEqual([]);
    }

    // Every key changes: no checkpoint references the savepoint any more, so it is deleted.
    throttle.allowed = 10_000;
    await waitFor(() => !existsSync(savepoint), "the claimed savepoint to be deleted once subsumed");
    const stopped = await owner.stop({ drain: false });
    expect((await run).state).toBe("FINISHED");
    expectContinuedExactlyOnce(claimedOut, 160, stopped);
  });

  it("CLAIM of a job that cannot start gives the claim back", async () => {
    const work = workDirectory("claim-release");
    const savepoint = await savepointOf(work, join(work, "out"), 80);
    const renamed = new Job(
      countingPipeline({
        out: join(work, "o2"),
        throttle: { allowed: 0, emitted: 0 },
        keys: KEYS,
        countUid: "renamed",
      }),
      {
        checkpointDirectory: join(work, "chk"),
        stateBackend: "sqlite",
        jobId: "refused",
        restore: { path: savepoint, claimMode: "CLAIM" },
      },
    );
    const result = await renamed.run();
    expect((result.error as RestoreError).code).toBe("STATE_NOT_RESTORED");
    expect(existsSync(join(savepoint, CLAIM_FILE))).toBe(false);
  });

  it("LEGACY warns, may reference the savepoint, and never deletes it", async () => {
    const work = workDirectory("legacy");
    const out = join(work, "out");
    const savepoint = await savepointOf(work, out, 160);
    const before = hashTree(savepoint);
    const { logger, lines } = capturingLogger();
    const throttle = { allowed: 0, emitted: 0 };
    const legacy = job(work, join(work, "out-legacy"), throttle, {
      jobId: "legacy",
      restore: { path: savepoint, claimMode: "LEGACY" },
      logger,
    });
    const checkpoints = recordCheckpoints(legacy);
    const run = legacy.run();
    await waitFor(() => checkpoints.length >= 2, "checkpoints");
    expect(
      lines.some((l) => JSON.parse(l).level === 40 && JSON.parse(l).msg.includes("LEGACY is deprecated")),
    ).toBe(true);
    const latest = checkpoints.at(-1);
    expect(
      keyedFiles(latest?.directory as string, latest?.metadata).some((f) => isInside(f, savepoint)),
    ).toBe(true);
    throttle.allowed = 10_000;
    await waitFor(() => {
      const c = checkpoints.at(-1);
      return !keyedFiles(c?.directory as string, c?.metadata).some((f) => isInside(f, savepoint));
    }, "a checkpoint that no longer references the savepoint");
    const n = checkpoints.length;
    await waitFor(() => checkpoints.length >= n + 3, "more checkpoints");
    const stopped = await legacy.stop({ drain: false });
    expect((await run).state).toBe("FINISHED");
    expect(hashTree(savepoint)).toEqual(before);
    expect(existsSync(join(savepoint, CLAIM_FILE))).toBe(false);
    expectContinuedExactlyOnce(join(work, "out-legacy"), 160, stopped);
  });
});
