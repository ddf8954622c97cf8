/**
 * Retrying transient failures (throttling, 5xx, timeouts, a refused or dropped connection)
 * beyond the S3 client's own few attempts, up to a deadline: a server that restarts takes
 * seconds, and a job should ride through it instead of failing over on every request.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isTransient } from "./s3-client.js";

const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 2_000;

/** Runs `request`, again after a growing pause while it fails transiently and `deadlineMs` has not passed. */
export async function withRetry<R>(deadlineMs: number, request: () => Promise<R>): Promise<R> {
  const giveUpAt = Date.now() + deadlineMs;
  for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    try {
      return await request();
    } catch (error) {
      if (!isTransient(error) || Date.now() + backoff > giveUpAt) throw error;
      await sleep(backoff);
    }
  }
}
