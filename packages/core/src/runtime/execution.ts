/**
 * One execution attempt of a job: the subtasks of every vertex wired by bounded channels,
 * state restored from a restore point, sinks recovered (restored committables committed,
 * lingering transactions aborted) before any writer opens, and the checkpoint coordinator.
 * A failover tears the attempt down and builds a new one from the latest checkpoint.
 */
import {
  CheckpointCoordinator,
  type CompletedCheckpoint,
  type TriggerRequest,
} from "../checkpoint/checkpoint-coordinator.js";
import type { CheckpointStorage } from "../checkpoint/checkpoint-storage.js";
import {
  type CheckpointMetadata,
  type KeyedChunk,
  METADATA_FILE,
  METADATA_FORMAT_VERSION,
  type StateFileHandle,
  type StoredCommittable,
} from "../checkpoint/metadata.js";
import {
  NonRestoredStateError,
  RestoreError,
  SavepointBackendMismatchError,
  SavepointPipelineMismatchError,
} from "../checkpoint/restore-errors.js";
import { type RestoredSubtask, type RestorePoint, readKeyedEntries } from "../checkpoint/restore-point.js";
import { BerthError, CommitFailedPermanentlyError } from "../errors.js";
import { faultPoint } from "../fault-injection.js";
import type { Pipeline, SinkVertex, Vertex } from "../pipeline/pipeline.js";
import { redactSecrets } from "../redact.js";
import { SinkNames } from "../sink/names.js";
import type { Committer, Json, SinkContext, SinkLog } from "../sink/sink.js";
import { defaultSinkPrefix } from "../sink/sink-prefix.js";
import { type KeyGroupRange, keyGroupRange } from "../state/key-groups.js";
import type { KeyedStateStore, StateBackend } from "../state/state-backend.js";
import { BadRecordHandler, type BadRecordOutcome } from "./bad-records.js";
import { Channel } from "./channel.js";
import { type CommitSettings, commitWithRetry, describeCommittable } from "./commit-with-retry.js";
import { InputGate } from "./input-gate.js";
import { lingeringScope } from "./lingering-scope.js";
import type { Output, StreamOperator } from "./operator.js";
import type { OperatorMetrics, SubtaskCounters } from "./operator-metrics.js";
import type { PrefixClaims } from "./prefix-claims.js";
import { parseRestoredSinkValues, type RestoredSinkValues } from "./restored-sink-values.js";
import { RoutingOutput } from "./routing-output.js";
import { SinkOperator } from "./sink-operator.js";
import {
  checkDistinctPrefixes,
  checkNamesFit,
  type PrefixedSink,
  resolveSinkPrefix,
} from "./sink-prefix-checks.js";
import type { StreamElement } from "./stream-element.js";
import { OperatorSubtask, SourceSubtask } from "./subtask.js";
import { SubtaskFailedError } from "./subtask-failed-error.js";

export interface ExecutionSettings extends CommitSettings {
  readonly jobId: string;
  readonly attemptId: string;
  readonly backend: StateBackend;
  readonly storage: CheckpointStorage;
  readonly restorePoint: RestorePoint | undefined;
  readonly allowNonRestoredState: boolean;
  /** Restore a savepoint taken by a pipeline of another name. */
  readonly allowPipelineRename?: boolean;
  /**
   * Whether the first checkpoint may reference (instead of copy) a restored keyed state
   * chunk at this absolute path — the claim mode decides. Default: never.
   */
  readonly mayReference?: (chunkPath: string) => boolean;
  /** Go on when a restored committable fails for a known permanent reason (logged loudly). */
  readonly skipFailedCommittables: boolean;
  readonly channelCapacity: number;
  readonly checkpointTimeoutMs: number;
  readonly retainedCheckpoints: number;
  /** The periodic checkpoint interval, handed to `Sink.validate` (e.g. against a transaction timeout). */
  readonly checkpointIntervalMs: number;
  readonly sdkVersion: string;
  readonly log: SinkLog;
  /** The job run's sink-prefix claims, kept across attempts. */
  readonly prefixClaims: PrefixClaims;
  /** The job's per-subtask counters, kept across attempts. */
  readonly metrics: OperatorMetrics;
  /** A sink skipped or dead-lettered a record it rejected (for metrics). */
  readonly onBadRecord?: (uid: string, outcome: BadRecordOutcome) => void;
}

/** A subtask's output to every consumer; it counts what the subtask emits and how long a full channel held it. */
class FanOutOutput implements Output {
  constructor(
    private readonly outputs: RoutingOutput[],
    private readonly counters: SubtaskCounters,
  ) {}
  emit(value: unknown, timestamp: number | undefined): void | Promise<void> {
    this.counters.recordsOut++;
    const pending: Promise<void>[] = [];
    for (const output of this.outputs) {
      const p = output.emit(value, timestamp);
      if (p) pending.push(p);
    }
    // A channel answers a promise only when it is full: the wait is backpressure.
    if (pending.length > 0) return this.blocked(Promise.all(pending));
  }
  async broadcast(element: StreamElement): Promise<void> {
    const since = performance.now();
    for (const output of this.outputs) await output.broadcast(element);
    this.counters.backpressuredMs += performance.now() - since;
  }
  private async blocked(pending: Promise<unknown>): Promise<void> {
    const since = performance.now();
    await pending;
    this.counters.backpressuredMs += performance.now() - since;
  }
}

interface SinkRuntime {
  readonly vertex: SinkVertex;
  readonly context: SinkContext;
  readonly committers: Committer<Json>[];
  readonly operators: SinkOperator[];
}

export class Execution {
  readonly coordinator: CheckpointCoordinator;
  readonly sources: SourceSubtask[] = [];
  readonly subtasks: OperatorSubtask[] = [];
  readonly sinks: SinkRuntime[] = [];
  private readonly channels: Channel[] = [];
  private readonly closers: (() => Promise<void> | void)[] = [];
  private failWith: ((error: unknown) => void) | undefined;
  /** Rejects with the first error of any subtask or commit. */
  readonly failure: Promise<never>;
  private readonly endedSources = new Set<SourceSubtask>();
  /** Called once every source subtask reached end of input. */
  onAllSourcesEnded: (() => void) | undefined;
  /** Committables confirmed committed in this attempt. */
  readonly confirmed: string[] = [];
  /** The sink prefix of each sink, by uid. */
  private readonly prefixes = new Map<string, string>();
  /** Set when a stop's synchronous commits begin: every commit retry goes on until then, and no longer. */
  stopCommitDeadline: number | undefined;
  /** Each sink's restored values, parsed by its codecs (by uid). */
  private readonly restoredSinks = new Map<string, RestoredSinkValues>();

  private constructor(
    private readonly pipeline: Pipeline,
    private readonly settings: ExecutionSettings,
  ) {
    this.failure = new Promise<never>((_, reject) => {
      this.failWith = reject;
    });
    this.failure.catch(() => undefined);
    const restoredId = settings.restorePoint?.metadata.checkpointId ?? 0;
    this.coordinator = new CheckpointCoordinator(
      settings.storage,
      {
        subtaskKeys: () => [...this.sources, ...this.subtasks].map((s) => s.key),
        injectBarrier: (barrier) => {
          for (const source of this.sources) source.triggerBarrier(barrier);
        },
        abandonBarrier: (checkpointId) => {
          for (const subtask of [...this.sources, ...this.subtasks]) subtask.abandonBarrier(checkpointId);
        },
        metadataFor: (request, id, acks) => this.metadataFor(request, id, acks),
      },
      restoredId,
      { timeoutMs: settings.checkpointTimeoutMs, retained: settings.retainedCheckpoints },
    );
  }

  fail(error: unknown): void {
    this.failWith?.(error);
  }

  static async create(pipeline: Pipeline, settings: ExecutionSettings): Promise<Execution> {
    const execution = new Execution(pipeline, settings);
    try {
      execution.checkRestorePoint();
      execution.resolveSinkPrefixes();
      execution.parseRestoredSinks();
      await execution.claimSinkPrefixes();
      await execution.recoverSinks();
      await execution.build();
    } catch (error) {
      await execution.teardown();
      throw error;
    }
    return execution;
  }

  /** Every compatibility check, before anything is restored or committed. */
  private checkRestorePoint(): void {
    const restore = this.settings.restorePoint;
    if (!restore) return;
    const { metadata } = restore;
    const metadataPath = `${restore.directory}/${METADATA_FILE}`;
    if (metadata.format === "native" && metadata.backend !== this.settings.backend.kind)
      throw new SavepointBackendMismatchError(
        restore.directory,
        metadata.backend,
        this.settings.backend.kind,
      );
    if (metadata.pipeline !== this.pipeline.name && !this.settings.allowPipelineRename)
      throw new SavepointPipelineMismatchError(restore.directory, metadata.pipeline, this.pipeline.name);
    if (metadata.maxParallelism !== this.pipeline.maxParallelism) {
      throw new RestoreError(
        "RESTORE_FAILED",
        metadataPath,
        `${restore.directory} was taken with max parallelism ${metadata.maxParallelism}, the pipeline has ${this.pipeline.maxParallelism}; the max parallelism of a job cannot change — set it back to ${metadata.maxParallelism}`,
      );
    }
    const uids = new Set(this.pipeline.vertices.map((v) => v.uid));
    const orphaned = metadata.operators.filter((o) => !uids.has(o.uid)).map((o) => o.uid);
    if (orphaned.length > 0 && !this.settings.allowNonRestoredState)
      throw new NonRestoredStateError(restore.directory, orphaned);
    if (orphaned.length > 0)
      this.settings.log.warn(
        `dropping the state of operators the pipeline no longer has (uid ${orphaned.join(", ")}), as --allow-non-restored-state asks`,
      );
  }

  /** Every sink's stored values through its codecs, all before any sink commits or aborts anything. */
  private parseRestoredSinks(): void {
    for (const vertex of this.pipeline.vertices) {
      if (vertex.kind !== "sink") continue;
      this.restoredSinks.set(
        vertex.uid,
        parseRestoredSinkValues(vertex.sink, vertex.uid, this.settings.restorePoint),
      );
    }
  }

  /**
   * Each sink's prefix for this run (explicit, else recorded by the restore point, else the
   * default), checked before anything is restored, committed or aborted: distinct per kind,
   * and short enough that the longest name fits the target.
   */
  private resolveSinkPrefixes(): void {
    const sinks: PrefixedSink[] = [];
    for (const vertex of this.pipeline.vertices) {
      if (vertex.kind !== "sink") continue;
      const recorded = this.settings.restorePoint?.metadata.sinks.find(
        (s) => s.uid === vertex.uid,
      )?.sinkPrefix;
      if (vertex.sinkPrefix !== undefined && recorded !== undefined && recorded !== vertex.sinkPrefix)
        this.settings.log.warn(
          `sink ${vertex.uid}: the explicit sink prefix "${vertex.sinkPrefix}" replaces "${recorded}", which the restore point recorded; transactions lingering under "${recorded}" are not cleaned up — set sinkPrefix "${recorded}" to keep it`,
        );
      const prefix = resolveSinkPrefix({
        explicit: vertex.sinkPrefix,
        recorded,
        defaultPrefix: () => defaultSinkPrefix(this.pipeline.name, vertex.uid, vertex.sink.targetIdentity()),
      });
      const sink = { uid: vertex.uid, kind: vertex.sink.kind, prefix };
      checkNamesFit(sink, vertex.sink.maxNameBytes, this.pipeline.maxParallelism);
      sinks.push(sink);
      this.prefixes.set(vertex.uid, prefix);
    }
    checkDistinctPrefixes(sinks);
  }

  /** Each sink's prefix claimed at its target (where the sink can), before any sink is recovered. */
  private async claimSinkPrefixes(): Promise<void> {
    for (const vertex of this.pipeline.vertices) {
      if (vertex.kind !== "sink") continue;
      await this.settings.prefixClaims.claim(vertex.sink, {
        sinkPrefix: this.prefixes.get(vertex.uid) as string,
        uid: vertex.uid,
        jobId: this.settings.jobId,
        log: this.settings.log,
      });
    }
  }

  private sinkContext(vertex: SinkVertex): SinkContext {
    const sinkPrefix = this.prefixes.get(vertex.uid) as string;
    return {
      sinkPrefix,
      names: new SinkNames(sinkPrefix),
      uid: vertex.uid,
      parallelism: vertex.parallelism,
      attemptId: this.settings.attemptId,
      log: this.settings.log,
    };
  }

  /** Commits the restored committables (idempotently), then aborts lingering transactions. */
  private async recoverSinks(): Promise<void> {
    const restore = this.settings.restorePoint;
    for (const vertex of this.pipeline.vertices) {
      if (vertex.kind !== "sink") continue;
      const context = this.sinkContext(vertex);
      await vertex.sink.validate?.({ checkpointIntervalMs: this.settings.checkpointIntervalMs });
      this.settings.log.info(
        `sink ${vertex.uid}: ${vertex.sink.kind} target ${redactSecrets(vertex.sink.targetIdentity())}, prefix ${context.sinkPrefix}`,
      );
      const parsed = this.restoredSinks.get(vertex.uid);
      const restored = (parsed?.committables ?? []).filter((c) => !restore?.confirmedCommits.has(c.id));
      if (restored.length > 0) {
        const committer = await vertex.sink.createCommitter(context);
        try {
          await this.settings.storage.checkLease();
          for (const c of restored) await this.commitRestored(committer, c);
        } finally {
          await committer.close();
        }
      }
      const writerStates = parsed?.writerStates ?? [];
      const committables = restored.map((c) => c.committable as Json);
      await vertex.sink.abortLingering({
        ...context,
        restoredCommittables: committables,
        restoredWriterStates: writerStates,
        lingering: lingeringScope({
          names: context.names,
          parallelism: vertex.parallelism,
          restoredParallelism:
            restore?.metadata.operators.find((o) => o.uid === vertex.uid)?.parallelism ?? 0,
          restoredSubtasks: restored.map((c) => c.subtask),
          restoredNames: committables.flatMap((c) => {
            const name = vertex.sink.transactionName?.(c);
            return name === undefined ? [] : [name];
          }),
        }),
      });
    }
  }

  private async commitRestored(committer: Committer<Json>, stored: StoredCommittable): Promise<void> {
    try {
      faultPoint("during-restore-commit");
      await commitWithRetry(committer, stored, this.settings);
    } catch (error) {
      if (error instanceof CommitFailedPermanentlyError && this.settings.skipFailedCommittables) {
        this.settings.log.warn(
          `SKIPPING a committable that cannot be committed; its records are LOST: ${describeCommittable(stored)}`,
          {
            reason: error.message,
          },
        );
        return;
      }
      throw error;
    }
  }

  private restoredState(vertex: Vertex): RestoredSubtask[] | undefined {
    return this.settings.restorePoint?.states.get(vertex.uid);
  }

  /**
   * The keyed state store of subtask `index` of `vertex`: empty, or holding the restored
   * entries of its key groups (from canonical chunks of any backend, or native copies of
   * the same backend). Restored chunks the claim mode lets checkpoints reference are not
   * rewritten while unchanged.
   */
  private async restoreStore(
    vertex: Vertex,
    index: number,
    range: KeyGroupRange,
    restored: RestoredSubtask[] | undefined,
  ): Promise<KeyedStateStore> {
    const { backend, attemptId, storage } = this.settings;
    const name = `${vertex.uid}-${index}-${attemptId}`;
    const overlaps = (kg: readonly [number, number]) => kg[1] >= range.start && kg[0] <= range.end;
    const nativeHandles = (restored ?? []).flatMap((s) =>
      s.keyed?.kind === "sqlite" && overlaps(s.keyed.keyGroups) ? [s.keyed] : [],
    );
    let store: KeyedStateStore;
    if (nativeHandles.length > 0) {
      if (!backend.restoreNative)
        throw new SavepointBackendMismatchError(
          this.settings.restorePoint?.directory ?? "",
          "sqlite",
          backend.kind,
        );
      const natives = [];
      // SQLite opens its copies by path: one in remote storage is read to this attempt's work directory first.
      for (const keyed of nativeHandles)
        natives.push({
          path: await storage.localNativeCopy(keyed.path, keyed, storage.workDirectory(attemptId)),
          keyGroups: { start: keyed.keyGroups[0], end: keyed.keyGroups[1] },
        });
      store = backend.restoreNative(name, natives, range);
    } else {
      store = backend.createStore(name);
    }
    this.closers.push(() => store.close());
    if (!restored) return store;
    const referencable: KeyedChunk[] = [];
    for (const subtask of restored) {
      const keyed = subtask.keyed;
      if (!keyed || keyed.kind === "sqlite") continue;
      store.load(await readKeyedEntries(keyed, range));
      if (keyed.kind === "chunks")
        referencable.push(...keyed.chunks.filter((c) => this.settings.mayReference?.(c.path) ?? false));
    }
    storage.seedIncremental(store, range, referencable);
    return store;
  }

  private async build(): Promise<void> {
    const { pipeline, settings } = this;
    const outputs = new Map<number, RoutingOutput[][]>(); // vertex index → per subtask → one per consumer
    const gates = new Map<number, Channel[][]>(); // vertex index → per subtask → input channels
    for (const v of pipeline.vertices) {
      outputs.set(
        v.index,
        Array.from({ length: v.parallelism }, () => []),
      );
      gates.set(
        v.index,
        Array.from({ length: v.parallelism }, () => []),
      );
    }
    for (const v of pipeline.vertices) {
      if (v.kind === "source") continue;
      const upstream = pipeline.vertices[v.input.vertex] as Vertex;
      const forward = v.input.partitioning.kind === "forward";
      for (let u = 0; u < upstream.parallelism; u++) {
        const toDownstream: Channel[] = [];
        for (let d = 0; d < v.parallelism; d++) {
          if (forward && u !== d) continue;
          const channel = new Channel(settings.channelCapacity);
          this.channels.push(channel);
          toDownstream.push(channel);
          gates.get(v.index)?.[d]?.push(channel);
        }
        outputs
          .get(upstream.index)
          ?.[u]?.push(new RoutingOutput(toDownstream, v.input.partitioning, pipeline.maxParallelism));
      }
    }
    for (const v of pipeline.vertices) {
      const restored = this.restoredState(v);
      // A sink's writer states are taken over as its codec parsed them.
      const operatorStates =
        v.kind === "sink" && restored
          ? [...(this.restoredSinks.get(v.uid)?.writerStates ?? [])]
          : restored?.flatMap((f) => f.operatorState as Json[]);
      const vertexOutputs = outputs.get(v.index) ?? [];
      if (v.kind === "source") {
        const splits = operatorStates ?? (await v.source.initialSplits(v.parallelism));
        for (let i = 0; i < v.parallelism; i++) {
          const reader = await v.source.createReader(
            {
              subtask: i,
              parallelism: v.parallelism,
              jobId: this.settings.jobId,
              uid: v.uid,
              log: this.settings.log,
            },
            splits.filter((_, j) => j % v.parallelism === i),
          );
          const subtask = new SourceSubtask(
            v.uid,
            i,
            new FanOutOutput(vertexOutputs[i] ?? [], settings.metrics.subtask(v.uid, i)),
            this.coordinator,
            reader,
            v.watermarks,
            {
              ended: (s) => this.sourceEnded(s),
            },
          );
          this.closers.push(() => subtask.close());
          this.sources.push(subtask);
        }
        continue;
      }
      const sinkRuntime = v.kind === "sink" ? await this.sinkRuntime(v) : undefined;
      for (let i = 0; i < v.parallelism; i++) {
        const range = keyGroupRange(i, pipeline.maxParallelism, v.parallelism);
        const store = await this.restoreStore(v, i, range, restored);
        const counters = settings.metrics.subtask(v.uid, i);
        const operator: StreamOperator = sinkRuntime
          ? this.sinkOperator(sinkRuntime, i, counters)
          : (v as { createOperator: () => StreamOperator }).createOperator();
        // A sink's output feeds its dead-letter sink, if it has one.
        const output = new FanOutOutput(vertexOutputs[i] ?? [], counters);
        const subtask = new OperatorSubtask(
          v.uid,
          i,
          output,
          this.coordinator,
          new InputGate(gates.get(v.index)?.[i] ?? []),
          operator,
          // Only keyed operators have keyed state in checkpoints.
          v.kind === "operator" && v.keyed ? { store, range } : undefined,
          counters,
        );
        await operator.open(
          {
            uid: v.uid,
            subtask: i,
            parallelism: v.parallelism,
            maxParallelism: pipeline.maxParallelism,
            keyGroups: range,
            state: store,
            enqueueMail: (task) => subtask.enqueueMail(task),
            isHalted: () => subtask.halted,
          },
          (operatorStates ?? []).filter((_, j) => j % v.parallelism === i),
        );
        this.closers.push(() => operator.close());
        this.subtasks.push(subtask);
      }
    }
  }

  private async sinkRuntime(vertex: SinkVertex): Promise<SinkRuntime> {
    const context = this.sinkContext(vertex);
    const committers: Committer<Json>[] = [];
    for (let i = 0; i < vertex.parallelism; i++) {
      const committer = await vertex.sink.createCommitter(context);
      this.closers.push(() => committer.close());
      committers.push(committer);
    }
    const runtime = { vertex, context, committers, operators: [] };
    this.sinks.push(runtime);
    return runtime;
  }

  private sinkOperator(runtime: SinkRuntime, subtask: number, counters: SubtaskCounters): SinkOperator {
    const operator = new SinkOperator({
      ...this.settings,
      counters,
      commitDeadlineAt: () => this.stopCommitDeadline,
      sink: runtime.vertex.sink,
      context: runtime.context,
      committer: runtime.committers[subtask] as Committer<Json>,
      restoredCheckpointId: this.settings.restorePoint?.metadata.checkpointId ?? 0,
      onCommitted: (stored) => this.confirmed.push(stored.id),
      badRecords: new BadRecordHandler(
        runtime.vertex.uid,
        runtime.vertex.badRecords,
        this.settings.log,
        (outcome) => this.settings.onBadRecord?.(runtime.vertex.uid, outcome),
      ),
    });
    runtime.operators.push(operator);
    return operator;
  }

  private metadataFor(
    request: TriggerRequest,
    checkpointId: number,
    acks: ReadonlyMap<string, { handle: StateFileHandle; committables?: StoredCommittable[] }>,
  ): CheckpointMetadata {
    const operators = this.pipeline.vertices.map((v) => ({
      uid: v.uid,
      parallelism: v.parallelism,
      subtasks: Array.from({ length: v.parallelism }, (_, i) => {
        const ack = acks.get(`${v.uid}#${i}`);
        if (!ack)
          throw new BerthError(
            "CHECKPOINT_FAILED",
            `checkpoint ${checkpointId} lacks the state of ${v.uid}#${i}`,
          );
        return ack.handle;
      }),
    }));
    const sinks = this.sinks.map(({ vertex, context }) => ({
      uid: vertex.uid,
      kind: vertex.sink.kind,
      sinkPrefix: context.sinkPrefix,
      committableVersion: vertex.sink.committable.version,
      ...(vertex.sink.writerState ? { writerStateVersion: vertex.sink.writerState.version } : {}),
      committables: Array.from(
        { length: vertex.parallelism },
        (_, i) => acks.get(`${vertex.uid}#${i}`)?.committables ?? [],
      )
        .flat()
        .sort((a, b) => a.checkpointId - b.checkpointId || a.subtask - b.subtask),
    }));
    return {
      magic: "berth-checkpoint",
      formatVersion: METADATA_FORMAT_VERSION,
      kind: request.savepoint ? "savepoint" : "checkpoint",
      format: request.savepoint ? (request.format ?? "canonical") : "canonical",
      backend: this.settings.backend.kind,
      jobId: this.settings.jobId,
      pipeline: this.pipeline.name,
      checkpointId,
      createdAt: new Date().toISOString(),
      sdkVersion: this.settings.sdkVersion,
      maxParallelism: this.pipeline.maxParallelism,
      stop: request.stop,
      operators,
      sinks,
    };
  }

  private sourceEnded(source: SourceSubtask): void {
    this.endedSources.add(source);
    if (this.endedSources.size === this.sources.length) this.onAllSourcesEnded?.();
  }

  /** Starts every subtask loop; any error fails the execution. */
  start(): void {
    for (const subtask of [...this.sources, ...this.subtasks]) {
      subtask
        .run()
        .catch((error: unknown) => this.fail(new SubtaskFailedError(subtask.uid, subtask.index, error)));
    }
  }

  /**
   * Commits every pending committable up to checkpoint `id` on every sink subtask, and tells
   * every source reader the checkpoint is complete (what a reader does with it never fails the job).
   */
  commitUpTo(completed: CompletedCheckpoint): Promise<void> {
    const id = completed.checkpointId;
    // A process that lost its lease (paused past its expiry) commits nothing more.
    return this.settings.storage
      .checkLease()
      .then(() =>
        Promise.all([
          ...this.sinks.flatMap((s) => s.operators.map((o) => o.notifyCheckpointComplete(id))),
          ...this.sources.map((s) =>
            s
              .notifyCheckpointComplete(id)
              .catch((error: unknown) =>
                this.settings.log.warn(
                  `source ${s.uid}[${s.index}]: after checkpoint ${id}: ${String(error)}`,
                ),
              ),
          ),
        ]),
      )
      .then(() => undefined);
  }

  /** Committables up to `id` not yet confirmed, over all sinks. */
  pendingCommits(id: number): number {
    return this.sinks.reduce((n, s) => n + s.operators.reduce((m, o) => m + o.pendingUpTo(id), 0), 0);
  }

  /** A stop's savepoint failed: sources fetch again from the barrier, timers may fire. */
  resume(): void {
    for (const s of this.sources) s.resume();
    for (const s of this.subtasks) s.resume();
  }

  async teardown(): Promise<void> {
    const checkpointSettled = this.coordinator.shutdown();
    for (const s of [...this.sources, ...this.subtasks]) s.cancel();
    for (const c of this.channels) c.close();
    // Only now wait for the checkpoint in flight: subtasks must not run on meanwhile.
    await checkpointSettled;
    for (const close of this.closers.reverse()) {
      try {
        await close();
      } catch (error) {
        this.settings.log.warn("closing a subtask failed", { error: String(error) });
      }
    }
  }
}
