/**
 * The error a subtask's loop ended with, naming where it came from: a failed job's one line
 * says which operator (by uid) and which subtask failed, and the original error is the cause.
 */
import { BerthError, errorMessage } from "../errors.js";

export class SubtaskFailedError extends BerthError {
  static override readonly marker: string = "berth.core/SubtaskFailedError";

  constructor(
    readonly uid: string,
    readonly subtask: number,
    cause: unknown,
  ) {
    super("JOB_FAILED", `operator "${uid}" subtask ${subtask} failed: ${errorMessage(cause)}`, { cause });
  }
}
