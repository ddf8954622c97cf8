import { BerthError } from "../errors.js";

/** Exit codes of the `berth` CLI (documented in docs/cli.md). */
export const ExitCode = {
  OK: 0,
  JOB_FAILED: 1,
  USAGE: 2,
  JOB_CANCELED: 3,
  /** A stop's commits missed their deadline: the savepoint is consistent; restart from it. */
  PENDING_COMMITS: 4,
  /** No running job with that id, or it cannot do what was asked (e.g. already stopping). */
  JOB_NOT_AVAILABLE: 5,
  /** The savepoint or checkpoint to restore or inspect is unusable. */
  RESTORE_FAILED: 6,
  /** The savepoint could not be written (the line says why); a suspending job keeps running. */
  SAVEPOINT_FAILED: 7,
  /** `--timeout` passed before the operation completed; it may still complete. */
  TIMED_OUT: 8,
  /** A live job holds the job id or a sink prefix; the line names it and its pid. */
  IN_USE: 9,
} as const;

/** A failure the CLI reports as one line, with its exit code. */
export class CliError extends BerthError {
  static override readonly marker: string = "berth.core/CliError";

  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super("CLI_FAILED", message, options);
  }
}
