/**
 * @berth/core/connector — the two-phase-commit sink contract, for connector authors
 * (docs/writing-a-sink.md). Everything a sink implements or calls is here: the `Sink`,
 * `SinkWriter` and `Committer` interfaces, commit outcomes, versioned codecs, the one naming
 * helper, the lingering scope, prefix ownership, the options schema helpers, the typed
 * error base, the bad-record error a writer throws for a record it cannot take, and
 * `loadRestorePoint` for a connector's operator commands (which committables a checkpoint or
 * savepoint holds). Nothing here runs a job: building and running pipelines is `@berth/core`,
 * test hooks are `@berth/core/testing`.
 */
export { loadRestorePoint, type RestoredSubtask, type RestorePoint } from "./checkpoint/restore-point.js";
export { BerthError, type BerthErrorCode, TypedError } from "./errors.js";
export type { VersionedCodec } from "./sink/codec.js";
export { type CommitOutcome, CommitOutcomes } from "./sink/commit-outcome.js";
export type { LingeringScope } from "./sink/lingering-scope.js";
export {
  ATTEMPT_ID_LENGTH,
  type AttemptName,
  MAX_CHECKPOINT_ID_DIGITS,
  newAttemptId,
  type PooledName,
  SinkNames,
} from "./sink/names.js";
export { type PrefixClaim, type PrefixClaimContext, SinkPrefixInUseError } from "./sink/prefix-ownership.js";
export { previewRecord, RecordRejectedError } from "./sink/record-rejected.js";
export type {
  Committer,
  Json,
  RecoverContext,
  Sink,
  SinkBarrier,
  SinkContext,
  SinkLog,
  SinkWriter,
  SinkWriterContext,
} from "./sink/sink.js";
export {
  type DeliveryGuarantee,
  deliveryGuaranteeOption,
  functionOption,
  parseOptions,
} from "./sink/sink-options.js";
export {
  checkSinkPrefix,
  defaultSinkPrefix,
  SINK_PREFIX_MAX_BYTES,
  SinkPrefixError,
  type SinkPrefixErrorCode,
} from "./sink/sink-prefix.js";
export { describeIssues, parseWith } from "./validation.js";
