/**
 * @berth/core — building and running jobs: pipelines, aligned checkpoints, stop with
 * savepoint (suspend or drain), restore, and the transactional local-file sink that is the
 * reference sink and the embedded default. Two more entry points, by audience: the
 * two-phase-commit sink contract for connector authors is `@berth/core/connector`
 * (docs/writing-a-sink.md); test hooks (fault injection, restore-point loading) are
 * `@berth/core/testing`.
 */
export type { SavepointFormat } from "./checkpoint/checkpoint-storage.js";
export {
  type CheckpointStore,
  type Lease,
  loadStoreScheme,
  registerStoreScheme,
  remoteScratchDirectory,
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
export { definePipeline, type PipelineContext, type PipelineFactory } from "./cli/pipeline-module.js";
export {
  BerthError,
  type BerthErrorCode,
  CommitFailedPermanentlyError,
  PENDING_COMMITS_MESSAGE,
  StopCommitsPendingError,
  TypedError,
} from "./errors.js";
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
export { RecordRejectedError } from "./sink/record-rejected.js";
export { SinkPrefixError, type SinkPrefixErrorCode } from "./sink/sink-prefix.js";
export { fileLinesSource, iterableSource } from "./source/iterable-source.js";
export { type SequenceSourceOptions, sequenceSource } from "./source/sequence-source.js";
export type { Source, SourcePoll, SourceReader, SourceReaderContext, SourceRecord } from "./source/source.js";
export type { StateBackendKind } from "./state/state-backend.js";
export { SDK_VERSION } from "./version.js";
