/**
 * Claim modes (DESIGN.md, "Claim modes"): who owns the files of the savepoint or checkpoint
 * a job restores from. CLAIM leaves a `_claimed` marker in it, created with the checkpoint
 * storage's write-if-absent, so that of two jobs claiming one savepoint only one wins and
 * every later restore is refused.
 */
import { join } from "node:path";
import { openStore } from "./checkpoint-store.js";
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
    const data = await openStore(directory).read(CLAIM_FILE);
    if (data === undefined) return undefined;
    text = data.toString("utf8");
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
  const marker: ClaimMarker = { jobId, claimedAt: new Date().toISOString(), pid: process.pid };
  if (await openStore(directory).writeIfAbsent(CLAIM_FILE, `${JSON.stringify(marker)}\n`)) return;
  await assertNotClaimedByOther(directory, jobId);
}

/** Gives a claim back (the claiming job could not start, so nothing references the files). */
export async function releaseClaim(directory: string, jobId: string): Promise<void> {
  const marker = await readClaim(directory);
  if (marker?.jobId === jobId) await openStore(directory).delete(CLAIM_FILE);
}
