/**
 * `berth savepoint --dispose PATH`: deletes a savepoint the user no longer needs, as Flink's
 * `flink savepoint --dispose`. Only a directory whose `_metadata` says it is a savepoint, and
 * that no job claimed (a claiming job's checkpoints may reference its files), is deleted.
 */
import { openStore } from "../checkpoint/checkpoint-store.js";
import { readClaim } from "../checkpoint/claim.js";
import { absoluteLocation } from "../checkpoint/locations.js";
import { readMetadata } from "../checkpoint/restore-point.js";
import { BerthError } from "../errors.js";
import { CliError, ExitCode } from "./exit-codes.js";

export async function disposeCommand(path: string, print: (line: string) => void): Promise<number> {
  const directory = absoluteLocation(path);
  const metadata = await readMetadata(directory).catch((error: unknown) => {
    throw error instanceof BerthError ? new CliError(error.message, ExitCode.RESTORE_FAILED) : error;
  });
  if (metadata.kind !== "savepoint")
    throw new CliError(
      `${directory} is a checkpoint of job ${metadata.jobId}, not a savepoint: its job prunes it (retained checkpoints); nothing deleted`,
      ExitCode.USAGE,
    );
  const claim = await readClaim(directory);
  if (claim)
    throw new CliError(
      `${directory} is claimed by job ${claim.jobId} (since ${claim.claimedAt}), whose checkpoints may reference its files; that job deletes it once they no longer do; nothing deleted`,
      ExitCode.USAGE,
    );
  await openStore(directory).delete("");
  print(`disposed savepoint ${directory} (job ${metadata.jobId}, checkpoint ${metadata.checkpointId})`);
  return ExitCode.OK;
}
