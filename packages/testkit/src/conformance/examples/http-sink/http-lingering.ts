/**
 * Lingering transaction cleanup of the HTTP sink. A pre-committed transaction lives only in
 * the checkpoint (its committable); nothing reaches the endpoint before its commit, so the
 * endpoint never holds a lingering transaction and there is nothing to abort.
 */
import type { RecoverContext } from "@berth/core/connector";
import type { HttpCommittable } from "./http-committable.js";

export async function abortHttpLingering(_context: RecoverContext<HttpCommittable>): Promise<void> {}
