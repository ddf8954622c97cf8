/**
 * Fetch errors that mean the client's view of partition leadership is out of date: the
 * caller refreshes metadata before it retries, so the retry goes to the current leader.
 */
const STALE_METADATA = new Set([
  "NOT_LEADER_FOR_PARTITION",
  "LEADER_NOT_AVAILABLE",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "FENCED_LEADER_EPOCH",
  "UNKNOWN_LEADER_EPOCH",
  "REPLICA_NOT_AVAILABLE",
]);

/** Refreshes the cluster's metadata when `error` is a stale-leadership error; never throws. */
export async function refreshIfStale(
  error: unknown,
  cluster: { refreshMetadata(): Promise<void> },
): Promise<void> {
  const type = (error as { type?: string }).type;
  if (type !== undefined && STALE_METADATA.has(type)) await cluster.refreshMetadata().catch(() => {});
}
