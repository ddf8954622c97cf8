/**
 * @berth/core — the Berth runtime: pipelines, aligned checkpoints, the two-phase-commit
 * sink contract, stop with savepoint (suspend or drain), and the transactional local-file
 * sink that is the reference sink and the embedded default.
 */
export type { SavepointFormat } from "./checkpoint/checkpoint-storage.js";
export {
  type CheckpointStore,
  type Lease,
  registerStoreScheme,
  type StoreOpener,
} from "./checkpoint/checkpoint-store.js";
export { CLAIM_MODES, type ClaimMode, parseClaimMode } from "./checkpoint/claim.js";
export { LineageCorruptError, type LineagePoint, latestRestorePoint } from "./checkpoint/lineage.js";
export {
  type CheckpointMetadata,
  METADATA_FORMAT_VERSION,
  type StoredCommittable,
} from "./checkpoint/metadata.js";
export {
  NonRestoredStateError,
  RestoreError,
  SavepointBackendMismatchError,
  SavepointClaimedError,
  SavepointCorruptError,
  SavepointNotFoundError,
  SavepointPipelineMismatchError,
  SavepointVersionError,
} from "./checkpoint/restore-errors.js";
export { loadRestorePoint, type RestoredSubtask, type RestorePoint } from "./checkpoint/restore-point.js";
export { definePipeline, type PipelineContext, type PipelineFactory } from "./cli/pipeline-module.js";
export {
  BerthError,
  type BerthErrorCode,
  CommitFailedPermanentlyError,
  PENDING_COMMITS_MESSAGE,
  StopCommitsPendingError,
  TypedError,
} from "./errors.js";
export { armFault, FAULT_POINTS, type FaultPoint, faultPoint } from "./fault-injection.js";
export type { FileCommittable } from "./file-sink/file-committable.js";
export { fileSink } from "./file-sink/file-sink.js";
export type { FileSinkOptions } from "./file-sink/file-sink-options.js";
export {
  Job,
  type JobOptions,
  type JobResult,
  type JobState,
  type RestartStrategy,
  type SavepointOptions,
  type StopRequest,
} from "./job.js";
export { JobIdInUseError } from "./locks/job-id-lock.js";
export { createLogger, type Logger } from "./logger.js";
export {
  type AggregateFunction,
  type KeyedContext,
  type KeyedProcessFunction,
  slidingEventTimeWindows,
  type TimerService,
  tumblingEventTimeWindows,
  type ValueState,
  type WatermarkStrategy,
  type WindowAssigner,
  type WindowResult,
} from "./pipeline/functions.js";
export {
  DataStream,
  KeyedStream,
  type OperatorOptions,
  Pipeline,
  type PipelineOptions,
  type SinkOptions,
  type SourceOptions,
} from "./pipeline/pipeline.js";
export { redactSecrets, redactValue } from "./redact.js";
export {
  BadRecordError,
  type BadRecordsPolicy,
  type DeadLetter,
  type DeadLetterTarget,
  type RecordPosition,
} from "./runtime/bad-records.js";
export { SubtaskFailedError } from "./runtime/subtask-failed-error.js";
export { SAFE_NAME_MAX_LENGTH, UnsafeNameError } from "./safe-name.js";
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
export { fileLinesSource, iterableSource } from "./source/iterable-source.js";
export { type SequenceSourceOptions, sequenceSource } from "./source/sequence-source.js";
export type { Source, SourcePoll, SourceReader, SourceReaderContext, SourceRecord } from "./source/source.js";
export type { StateBackendKind } from "./state/state-backend.js";
export { describeIssues, parseWith } from "./validation.js";
export { SDK_VERSION } from "./version.js";
