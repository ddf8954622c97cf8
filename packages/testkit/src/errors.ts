/**
 * Errors of the conformance kit. Each has a stable `code` and says what is wrong and what to
 * do; `instanceof` works across copies of the package through the core's marker brand. The
 * services helpers have their own (`ServiceError`).
 */
import { TypedError } from "@berth/core";

export type TestkitErrorCode =
  /** The kit was called wrongly: bad options, an unknown case, a module that is no sink factory, a runner started by hand. */
  | "TESTKIT_MISUSE"
  /** A conformance case found the sink breaking the contract; the message is the case's report. */
  | "CONFORMANCE_FAILED"
  /** A case ended early because a failure it already recorded makes further checks meaningless. */
  | "CASE_ABORTED";

export class TestkitError extends TypedError<TestkitErrorCode> {
  static override readonly marker: string = "berth.testkit/TestkitError";
}
