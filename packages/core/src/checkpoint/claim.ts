/**
 * Claim modes (DESIGN.md, "Claim modes"): who owns the files of the savepoint or checkpoint
 * a job restores from. CLAIM leaves a `_claimed` marker in it, created exclusively, so that
 * of two jobs claiming one savepoint only one wins and every later restore is refused.
 */
import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDirectory } from "./atomic-file.js";
import { CLAIM_FILE } from "./metadata.js";
import { SavepointClaimedError } from "./restore-errors.js";

export type ClaimMode = "NO_CLAIM" | "CLAIM" | "LEGACY";

export const CLAIM_MODES: readonly ClaimMode[] = ["NO_CLAIM", "CLAIM", "LEGACY"];

/** Parses a claim mode case-insensitively (`no_claim`, `Claim`, …); undefined when it is none. */
export function parseClaimMode(value: string): ClaimMode | undefined {
  const upper = value.toUpperCase().replace(/-/g, "_");
  return (CLAIM_MODES as readonly string[]).includes(upper) ? (upper as ClaimMode) : undefined;
}

export interface ClaimMarker {
  readonly jobId: string;
  readonly claimedAt: string;
  readonly pid: number;
}

/** The marker of a claimed directory, or undefined. An unreadable marker still claims it. */
export async function readClaim(directory: string): Promise<ClaimMarker | undefined> {
  let text: string;
  try {
    text = await readFile(join(directory, CLAIM_FILE), "utf8");
  } catch {
    return undefined;
  }
  try {
    const marker = JSON.parse(text) as Partial<ClaimMarker>;
    return {
      jobId: String(marker.jobId ?? "(unknown)"),
      claimedAt: String(marker.claimedAt ?? "(unknown time)"),
      pid: Number(marker.pid ?? 0),
    };
  } catch {
    return { jobId: "(unreadable marker)", claimedAt: "(unknown time)", pid: 0 };
  }
}

/** Refuses a restore from a directory another job claimed. */
export async function assertNotClaimedByOther(directory: string, jobId: string): Promise<void> {
  const marker = await readClaim(directory);
  if (marker && marker.jobId !== jobId)
    throw new SavepointClaimedError(join(directory, CLAIM_FILE), marker.jobId, marker.claimedAt);
}

/**
 * Claims `directory` for `jobId`: creates `_claimed` exclusively. A marker of the same job
 * (a restart of the owner) is kept; one of another job is refused.
 */
export async function claim(directory: string, jobId: string): Promise<void> {
  const path = join(directory, CLAIM_FILE);
  const marker: ClaimMarker = { jobId, claimedAt: new Date().toISOString(), pid: process.pid };
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    await assertNotClaimedByOther(directory, jobId);
    return;
  }
  try {
    await handle.writeFile(`${JSON.stringify(marker)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsyncDirectory(directory);
}

/** Gives a claim back (the claiming job could not start, so nothing references the files). */
export async function releaseClaim(directory: string, jobId: string): Promise<void> {
  const marker = await readClaim(directory);
  if (marker?.jobId === jobId) await rm(join(directory, CLAIM_FILE), { force: true });
}
