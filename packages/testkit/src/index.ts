/**
 * @berth/testkit — prove a Berth sink keeps its exactly-once promise. One call,
 * {@link describeSinkConformance}, runs the conformance cases (bounded job, stop, stop with
 * drain, end of input, savepoint + NO_CLAIM restore, SIGKILL at every lifecycle point,
 * repeated commits, checkpoints failing after pre-commit, lingering transaction cleanup,
 * rescale, target restart) against a sink factory module, each reporting exactly which
 * records were lost or duplicated, and where.
 */
export { type BerthProcess, runBerth } from "./berth-process.js";
export {
  CONFORMANCE_CASE_NAMES,
  CONFORMANCE_CASES,
  CONFORMANCE_SUBSETS,
  type ConformanceCaseName,
  type ConformanceSubsetName,
} from "./conformance/case-names.js";
export { runConformanceCase, runSinkConformance } from "./conformance/cases.js";
export { type FailingCheckpoints, failCheckpointsAfterPreCommit } from "./conformance/checkpoint-faults.js";
export { describeSinkConformance } from "./conformance/describe-sink-conformance.js";
export type { SinkConformanceOptions } from "./conformance/options.js";
export type { ConformanceFailure, ConformanceReport, DuplicatedSeq } from "./conformance/report.js";
export {
  type ConformanceRecord,
  defineSinkConformance,
  type PrivateTarget,
  type SinkConformanceFactory,
  type TargetContext,
} from "./conformance/sink-factory.js";
export { TestkitError, type TestkitErrorCode } from "./errors.js";
