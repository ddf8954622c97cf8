/** `berth info`: what a savepoint or checkpoint holds, without secrets. */
import { loadRestorePoint } from "../checkpoint/restore-point.js";
import { BerthError } from "../errors.js";
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
    if (error instanceof BerthError) throw new CliError(error.message, ExitCode.RESTORE_FAILED);
    throw error;
  }
  const { metadata } = point;
  const summary = {
    path: point.directory,
    kind: metadata.kind,
    format: metadata.format,
    backend: metadata.backend,
    jobId: metadata.jobId,
    pipeline: metadata.pipeline,
    checkpointId: metadata.checkpointId,
    createdAt: metadata.createdAt,
    sdkVersion: metadata.sdkVersion,
    stop: metadata.stop,
    operators: metadata.operators.map((o) => ({
      uid: o.uid,
      parallelism: o.parallelism,
      stateBytes: o.subtasks.reduce((n, s) => n + s.bytes, 0),
    })),
    pendingCommittables: metadata.sinks.map((s) => ({
      uid: s.uid,
      kind: s.kind,
      sinkPrefix: s.sinkPrefix,
      pending: s.committables.filter((c) => !point.confirmedCommits.has(c.id)).length,
    })),
  };
  if (json) {
    print(JSON.stringify(summary));
    return ExitCode.OK;
  }
  print(
    `${summary.kind} of job ${summary.jobId} (${summary.pipeline}), checkpoint ${summary.checkpointId}, ${summary.format} format, ${summary.backend} backend`,
  );
  print(
    `created ${summary.createdAt} by Berth ${summary.sdkVersion}${summary.stop !== "none" ? `, taken by a ${summary.stop === "drain" ? "stop with drain" : "stop"}` : ""}`,
  );
  for (const o of summary.operators)
    print(`  operator ${o.uid}: parallelism ${o.parallelism}, ${o.stateBytes} bytes of state`);
  for (const s of summary.pendingCommittables)
    print(`  sink ${s.uid} (${s.kind}, prefix ${s.sinkPrefix}): ${s.pending} pending committables`);
  return ExitCode.OK;
}
