/**
 * `berth info`: what a savepoint or checkpoint holds — format, job, checkpoint id,
 * operators with their state sizes, pending committables, whether a job claimed it — after
 * verifying every file, and without secrets.
 */
import { readClaim } from "../checkpoint/claim.js";
import { isWithin, resolveLocation } from "../checkpoint/locations.js";
import { loadRestorePoint } from "../checkpoint/restore-point.js";
import { BerthError } from "../errors.js";
import { redactValue } from "../redact.js";
import { CliError, ExitCode } from "./exit-codes.js";

export async function infoCommand(
  path: string,
  json: boolean,
  print: (line: string) => void,
): Promise<number> {
  let point: Awaited<ReturnType<typeof loadRestorePoint>>;
  try {
    point = await loadRestorePoint(path);
  } catch (error) {
    if (error instanceof BerthError)
      throw new CliError(error.message, ExitCode.RESTORE_FAILED, { cause: error });
    throw error;
  }
  const { metadata } = point;
  const claim = await readClaim(point.directory);
  const summary = redactValue({
    path: point.directory,
    kind: metadata.kind,
    format: metadata.format,
    formatVersion: metadata.formatVersion,
    backend: metadata.backend,
    jobId: metadata.jobId,
    pipeline: metadata.pipeline,
    checkpointId: metadata.checkpointId,
    createdAt: metadata.createdAt,
    sdkVersion: metadata.sdkVersion,
    stop: metadata.stop,
    claimed: claim ? { jobId: claim.jobId, claimedAt: claim.claimedAt } : (false as const),
    operators: metadata.operators.map((o) => {
      const keyed = o.subtasks.flatMap((s) =>
        s.keyed?.kind === "chunks"
          ? s.keyed.chunks.map((c) => ({ path: resolveLocation(point.directory, c.path), bytes: c.bytes }))
          : s.keyed?.kind === "sqlite"
            ? [{ path: resolveLocation(point.directory, s.keyed.path), bytes: s.keyed.bytes }]
            : [],
      );
      const unique = new Map(keyed.map((k) => [k.path, k.bytes]));
      const keyedBytes = [...unique.values()].reduce((n, b) => n + b, 0);
      const sharedBytes = [...unique]
        .filter(([p]) => !isWithin(p, point.directory))
        .reduce((n, [, b]) => n + b, 0);
      return {
        uid: o.uid,
        parallelism: o.parallelism,
        stateBytes: o.subtasks.reduce((n, s) => n + s.bytes, 0) + keyedBytes,
        keyedFiles: unique.size,
        /** Bytes of keyed state referenced outside this directory (shared with other checkpoints). */
        sharedBytes,
      };
    }),
    pendingCommittables: metadata.sinks.map((s) => ({
      uid: s.uid,
      kind: s.kind,
      sinkPrefix: s.sinkPrefix,
      pending: s.committables.filter((c) => !point.confirmedCommits.has(c.id)).length,
    })),
  });
  if (json) {
    print(JSON.stringify(summary));
    return ExitCode.OK;
  }
  print(
    `${summary.kind} of job ${summary.jobId} (${summary.pipeline}), checkpoint ${summary.checkpointId}, ${summary.format} format v${summary.formatVersion}, ${summary.backend} backend`,
  );
  print(
    `created ${summary.createdAt} by Berth ${summary.sdkVersion}${summary.stop !== "none" ? `, taken by a ${summary.stop === "drain" ? "stop with drain" : "stop"}` : ""}`,
  );
  print(
    summary.claimed
      ? `claimed by job ${summary.claimed.jobId} at ${summary.claimed.claimedAt} (claim mode CLAIM): that job owns and may delete it`
      : "not claimed",
  );
  for (const o of summary.operators)
    print(
      `  operator ${o.uid}: parallelism ${o.parallelism}, ${o.stateBytes} bytes of state${o.keyedFiles > 0 ? ` (${o.keyedFiles} keyed state files${o.sharedBytes > 0 ? `, ${o.sharedBytes} bytes shared outside this directory` : ""})` : ""}`,
    );
  for (const s of summary.pendingCommittables)
    print(`  sink ${s.uid} (${s.kind}, prefix ${s.sinkPrefix}): ${s.pending} pending committables`);
  return ExitCode.OK;
}
