/**
 * Retention of commit markers (commit-log rows), ADR 0015. A marker is kept `markerRetentionMs`
 * after it was written, then deleted; each prune first raises the prefix's horizon (the time
 * before which its markers may be gone) in the same statement. A commit that finds neither its
 * gid nor its marker compares its transaction's start with that horizon: before it, the marker
 * may have been pruned — the point restored is older than the retention — and the commit cannot
 * be proven either way; after it, the transaction was rolled back and its rows are lost.
 *
 * Pruning runs at every start, after the restored committables were committed (a point restored
 * after a long pause still finds the markers its commits need), then while the job runs, from
 * the committers of that start only — never from the one that commits a restore point.
 */
import type pg from "pg";
import type { PostgresCommittable } from "../postgres-committable.js";
import type { SinkStatements } from "./statements.js";

/** How often a running job prunes, at most: a tenth of the retention, and at least once an hour. */
const MAX_PRUNE_EVERY_MS = 3_600_000;

export class MarkerRetention {
  /** The attempt whose start pruned last: only its committers prune from then on. */
  private prunedAttempt: string | undefined;
  private nextPruneAt = 0;
  private readonly pruneEveryMs: number;

  constructor(
    private readonly statements: SinkStatements,
    private readonly retentionMs: number,
  ) {
    this.pruneEveryMs = Math.min(retentionMs / 10, MAX_PRUNE_EVERY_MS);
  }

  /** At start, once the restored commits are done: prunes, and lets this attempt's committers prune. Returns the markers deleted. */
  async pruneAtStart(client: pg.Client, sinkPrefix: string, attemptId: string): Promise<number> {
    const deleted = await this.prune(client, sinkPrefix);
    this.prunedAttempt = attemptId;
    return deleted;
  }

  /** After a commit by a committer of `attemptId`: prunes when that attempt's start did and the next prune is due. */
  async pruneIfDue(client: pg.Client, sinkPrefix: string, attemptId: string): Promise<void> {
    if (attemptId !== this.prunedAttempt || Date.now() < this.nextPruneAt) return;
    await this.prune(client, sinkPrefix);
  }

  private async prune(client: pg.Client, sinkPrefix: string): Promise<number> {
    // Claimed before the statement runs, so the committers of the job do not prune at once.
    this.nextPruneAt = Date.now() + this.pruneEveryMs;
    const result = await client.query(this.statements.pruneMarkers, [sinkPrefix, this.retentionMs]);
    return result.rowCount ?? 0;
  }

  /**
   * For a committable whose marker is missing: the prefix's horizon when its transaction began
   * before it (or at an unknown time while a horizon exists), so the marker may have been pruned;
   * undefined when no marker of its time was ever pruned.
   */
  async prunedHorizon(
    client: pg.Client,
    sinkPrefix: string,
    committable: PostgresCommittable,
  ): Promise<Date | undefined> {
    const { rows } = await client.query<{ pruned_before: Date }>(this.statements.prunedSince, [
      sinkPrefix,
      committable.preparedAt ?? null,
    ]);
    return rows[0]?.pruned_before;
  }
}
