/**
 * `berth cancel`: asks the job to cancel, then waits — at most `--timeout` — until it has
 * ended, so "canceled" is printed only for a job that is.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ControlClient } from "./control-client.js";
import { CliError, ExitCode } from "./exit-codes.js";

const ENDED = new Set(["CANCELED", "FINISHED", "FAILED"]);

export async function cancelCommand(
  jobId: string,
  timeoutMs: number,
  print: (line: string) => void,
): Promise<number> {
  const client = ControlClient.forJob(jobId);
  await client.request("PATCH", `/jobs/${jobId}`);
  const until = Date.now() + timeoutMs;
  while (true) {
    // Once the job has ended its control plane closes: no answer then means it is gone.
    const state = await client.request<{ state: string }>("GET", `/jobs/${jobId}`).then(
      (job) => job.state,
      () => "ENDED",
    );
    if (state === "CANCELED" || state === "ENDED") {
      print(`job ${jobId} ${state === "ENDED" ? "ended" : "CANCELED"}`);
      return ExitCode.OK;
    }
    if (ENDED.has(state))
      throw new CliError(
        `job ${jobId} was not canceled: it ended ${state} first`,
        ExitCode.JOB_NOT_AVAILABLE,
      );
    if (Date.now() >= until)
      throw new CliError(
        `gave up after ${timeoutMs / 1000} s waiting for job ${jobId} to end after the cancel (it is ${state}); raise --timeout`,
        ExitCode.TIMED_OUT,
      );
    await sleep(100);
  }
}
