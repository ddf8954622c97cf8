/**
 * `berth run`: runs a pipeline in the foreground with its control plane and registry
 * entry. SIGTERM/SIGINT — or the death of the process that launched it — stop it (suspend)
 * with a savepoint; repeats within 2 s count as one, a later signal cancels. Exits 0 when the
 * job ends FINISHED.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { loadStoreScheme } from "../checkpoint/checkpoint-store.js";
import type { ClaimMode } from "../checkpoint/claim.js";
import { latestRestorePoint } from "../checkpoint/lineage.js";
import { absoluteLocation } from "../checkpoint/locations.js";
import { RestoreError } from "../checkpoint/restore-errors.js";
import { claimRegistration } from "../control/job-registry.js";
import { jobMetrics } from "../control/metrics.js";
import { type ListenAddress, type MetricsServer, startMetricsServer } from "../control/metrics-server.js";
import { startRestServer } from "../control/rest-server.js";
import { BerthError, StopCommitsPendingError } from "../errors.js";
import { Job, type JobResult } from "../job.js";
import { osErrorMessage } from "../os-errors.js";
import { isSafeName, UnsafeNameError } from "../safe-name.js";
import type { StateBackendKind } from "../state/state-backend.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { watchLauncher } from "./launcher-watch.js";
import { loadPipeline } from "./pipeline-module.js";

export interface RunFlags {
  readonly jobId?: string;
  readonly fromSavepoint?: string;
  readonly fromLatest?: boolean;
  readonly claimMode: ClaimMode;
  readonly allowNonRestoredState?: boolean;
  readonly allowPipelineRename?: boolean;
  readonly skipFailedCommittables?: boolean;
  readonly checkpointDir: string;
  readonly checkpointInterval?: number;
  readonly commitDeadline?: number;
  readonly stateBackend: StateBackendKind;
  readonly restPort?: number;
  /** false with --no-auth: the control plane takes requests without a token. */
  readonly auth: boolean;
  /** --metrics-address: serve only /metrics and /healthz there, without a token. */
  readonly metricsAddress?: ListenAddress;
}

const SIGNAL_REPEAT_WINDOW_MS = 2_000;

export async function runCommand(
  pipelinePath: string,
  pipelineArgs: string[],
  flags: RunFlags,
  print: (line: string) => void,
): Promise<number> {
  if (flags.fromSavepoint && flags.fromLatest)
    throw new CliError("use either --from-savepoint or --from-latest, not both", ExitCode.USAGE);
  if (flags.fromLatest && !flags.jobId)
    throw new CliError(
      "--from-latest needs --job-id: it restores that job's newest checkpoint or savepoint",
      ExitCode.USAGE,
    );
  if (flags.claimMode !== "NO_CLAIM" && !flags.fromSavepoint && !flags.fromLatest)
    throw new CliError(
      `--claim-mode ${flags.claimMode.toLowerCase()} needs a restore: add -s <savepoint> or --from-latest`,
      ExitCode.USAGE,
    );
  const jobId = flags.jobId ?? randomUUID();
  if (!isSafeName(jobId)) throw new CliError(new UnsafeNameError("job id", jobId).message, ExitCode.USAGE);
  const pipeline = await loadPipeline(pipelinePath, pipelineArgs);
  const checkpointDirectory = absoluteLocation(flags.checkpointDir);
  // s3://… needs its storage package: a missing one is a bad value, said before anything starts.
  for (const location of [checkpointDirectory, flags.fromSavepoint ?? ""])
    await loadStoreScheme(location).catch((error: unknown) => {
      throw error instanceof BerthError
        ? new CliError(error.message, ExitCode.USAGE, { cause: error })
        : error;
    });
  const restorePath = flags.fromLatest
    ? await latestRestorePoint(checkpointDirectory, jobId)
    : flags.fromSavepoint;
  let job: Job;
  try {
    job = new Job(pipeline, {
      jobId,
      checkpointDirectory,
      ...(flags.checkpointInterval !== undefined ? { checkpointIntervalMs: flags.checkpointInterval } : {}),
      ...(flags.commitDeadline !== undefined ? { commitDeadlineMs: flags.commitDeadline } : {}),
      stateBackend: flags.stateBackend,
      ...(restorePath
        ? {
            restore: {
              path: restorePath,
              claimMode: flags.claimMode,
              allowNonRestoredState: flags.allowNonRestoredState ?? false,
              allowPipelineRename: flags.allowPipelineRename ?? false,
              skipFailedCommittables: flags.skipFailedCommittables ?? false,
            },
          }
        : {}),
    });
  } catch (error) {
    if (error instanceof BerthError && !(error instanceof CliError))
      throw new CliError(error.message, ExitCode.USAGE, { cause: error });
    throw error;
  }
  // A token per job, never in argv or a log: berth reads it from the user-only registry entry.
  // BERTH_TOKEN lets a supervisor choose it (the environment is readable by the user only).
  const token = flags.auth ? process.env.BERTH_TOKEN || randomBytes(32).toString("base64url") : false;
  // Refused before anything starts: the job id in its checkpoint folder, then in this registry.
  const registration = await inUseAsCliError(async () => {
    await job.claimJobId();
    return claimRegistration(jobId);
  });
  if (flags.fromLatest)
    print(
      restorePath
        ? `restoring job ${jobId} from ${restorePath}`
        : `no checkpoint or savepoint of job ${jobId} in ${checkpointDirectory}: starting fresh`,
    );
  const metrics = jobMetrics(job);
  const server = await startRestServer(job, {
    ...(flags.restPort !== undefined ? { port: flags.restPort } : {}),
    token,
    metrics,
  }).catch((error: unknown) => {
    // A taken --rest-port is a bad value: exit 2 with the port and what to do.
    throw new CliError(`--rest-port ${osErrorMessage(error)}`, ExitCode.USAGE, { cause: error });
  });
  const address = flags.metricsAddress;
  let metricsServer: MetricsServer | undefined;
  if (address) {
    metricsServer = await startMetricsServer(job, metrics, address).catch(async (error: unknown) => {
      await server.close(0);
      throw new CliError(`--metrics-address ${osErrorMessage(error)}`, ExitCode.USAGE, { cause: error });
    });
    // Said at once, before the job runs: a kubelet probes /healthz during the restore too.
    print(`metrics and health on http://${hostPort(metricsServer.address)} (/metrics, /healthz)`);
  }
  await registration.publish({
    pipeline: pipeline.name,
    port: server.port,
    ...(token ? { token } : {}),
  });
  // Said once the job runs, so a restore that fails never follows a "started" line.
  job.once("running", () =>
    print(`job ${jobId} (${pipeline.name}) started; control plane http://127.0.0.1:${server.port}`),
  );

  let firstSignalAt: number | undefined;
  const onSignal = (signal: string) => {
    const now = Date.now();
    if (firstSignalAt === undefined) {
      firstSignalAt = now;
      print(
        `${signal}: stopping job ${jobId} with a savepoint (a second signal after ${SIGNAL_REPEAT_WINDOW_MS / 1000} s cancels)`,
      );
      job.stop({ drain: false }).catch((error: unknown) => print(`stop failed: ${(error as Error).message}`));
    } else if (now - firstSignalAt > SIGNAL_REPEAT_WINDOW_MS) {
      print(`${signal}: canceling job ${jobId}`);
      void job.cancel();
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // Whoever held our stdout may be gone with the launcher: a failed write must not kill the stop.
  const ignoreBrokenPipe = () => undefined;
  process.stdout.on("error", ignoreBrokenPipe);
  const stopWatching = watchLauncher((launcher) => onSignal(`the launching process ${launcher} ended`));
  let result: JobResult | undefined;
  try {
    result = await job.run();
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    stopWatching();
    await registration.release(result ? { state: result.state } : undefined);
    await server.close();
    await metricsServer?.close();
  }
  return reportResult(jobId, result, print);
}

function hostPort(address: ListenAddress): string {
  return `${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
}

/** Codes of a live job holding what this one needs: the job id or a sink prefix. */
const IN_USE_CODES: readonly string[] = ["JOB_ID_IN_USE", "SINK_PREFIX_IN_USE"];

function isInUse(error: unknown): error is BerthError {
  return error instanceof BerthError && IN_USE_CODES.includes(error.code);
}

async function inUseAsCliError<T>(claim: () => Promise<T>): Promise<T> {
  try {
    return await claim();
  } catch (error) {
    if (isInUse(error)) throw new CliError(error.message, ExitCode.IN_USE);
    throw error;
  }
}

function reportResult(jobId: string, result: JobResult, print: (line: string) => void): number {
  if (result.state === "FINISHED") {
    print(`job ${jobId} FINISHED${result.savepoint ? `; savepoint: ${result.savepoint}` : ""}`);
    return ExitCode.OK;
  }
  if (result.state === "CANCELED") {
    print(`job ${jobId} CANCELED`);
    return ExitCode.JOB_CANCELED;
  }
  const error = result.error;
  const code = error instanceof BerthError ? error.code : undefined;
  if (isInUse(error)) throw new CliError(error.message, ExitCode.IN_USE);
  if (error instanceof RestoreError || code === "RESTORE_FAILED")
    throw new CliError(error?.message ?? "restore failed", ExitCode.RESTORE_FAILED);
  if (error instanceof StopCommitsPendingError) {
    throw new CliError(`job ${jobId} FAILED: ${error.message}`, ExitCode.PENDING_COMMITS);
  }
  throw new CliError(`job ${jobId} FAILED: ${error?.message ?? "unknown error"}`, ExitCode.JOB_FAILED);
}
