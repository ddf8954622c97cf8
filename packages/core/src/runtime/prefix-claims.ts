/**
 * The sink-prefix claims of one job run (`Sink.claimPrefix`): taken by the first execution
 * attempt before it recovers any sink, kept across in-process restarts — so no other job can
 * slip in during a failover — and released when the job ends.
 */

import type { PrefixClaim, PrefixClaimContext } from "../sink/prefix-ownership.js";
import type { Json, Sink } from "../sink/sink.js";

export class PrefixClaims {
  private readonly held = new Map<string, PrefixClaim>();

  /** Claims `context.sinkPrefix` for a sink that can; a prefix this run already holds is kept. */
  async claim(sink: Sink<unknown, Json>, context: PrefixClaimContext): Promise<void> {
    if (!sink.claimPrefix) return;
    const key = `${context.uid}\u0000${context.sinkPrefix}`;
    if (this.held.has(key)) return;
    this.held.set(key, await sink.claimPrefix(context));
  }

  async releaseAll(): Promise<void> {
    const claims = [...this.held.values()];
    this.held.clear();
    for (const claim of claims) await claim.release();
  }
}
