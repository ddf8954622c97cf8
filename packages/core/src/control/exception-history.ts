/**
 * The job's failures for `GET /jobs/:id/exceptions`, in the shape of Flink's
 * `JobExceptionsInfoWithHistory`: the root cause (the latest failure) and the most recent
 * ones with their time, the operator and subtask they came from, and whether the job restarted.
 * Messages only — a stack trace names internals and is for `--verbose` logs.
 */
import { BerthError, errorMessage } from "../errors.js";
import type { Job, JobException } from "../job.js";
import { redactSecrets } from "../redact.js";
import { SubtaskFailedError } from "../runtime/subtask-failed-error.js";

/** Failures kept (Flink's `web.exception-history-size` is 16 too). */
export const EXCEPTION_HISTORY_SIZE = 16;

interface Entry {
  readonly exceptionName: string;
  readonly message: string;
  readonly timestamp: number;
  readonly taskName: string | null;
  readonly restarted: boolean;
}

function entry(exception: JobException): Entry {
  const { error } = exception;
  // The code of the error that came from the operator, else of the failure itself.
  const origin = error instanceof SubtaskFailedError ? error.cause : error;
  return {
    exceptionName: origin instanceof BerthError ? origin.code : (origin as Error)?.name || "Error",
    message: redactSecrets(errorMessage(error)),
    timestamp: exception.timestamp,
    taskName: error instanceof SubtaskFailedError ? `${error.uid} (subtask ${error.subtask})` : null,
    restarted: exception.restarting,
  };
}

export class ExceptionHistory {
  private readonly entries: Entry[] = [];
  private dropped = false;

  constructor(job: Job) {
    job.on("exception", (exception: JobException) => {
      this.entries.unshift(entry(exception));
      if (this.entries.length > EXCEPTION_HISTORY_SIZE) {
        this.entries.pop();
        this.dropped = true;
      }
    });
  }

  /** The answer of `GET /jobs/:id/exceptions`, newest first. */
  view() {
    const root = this.entries[0];
    return {
      "root-exception": root?.message ?? null,
      timestamp: root?.timestamp ?? null,
      exceptionHistory: { entries: this.entries, truncated: this.dropped },
    };
  }
}
