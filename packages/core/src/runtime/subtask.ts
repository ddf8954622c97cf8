/**
 * Subtasks: the loops that run one parallel instance of a source or operator. Each has a
 * mailbox (timers and other work that must run between elements) and sleeps until data,
 * mail or a barrier trigger arrives. Everything of one job runs on the one Node thread,
 * so a subtask's handling of an element is never interleaved with another of its own.
 */
import type { SubtaskKeyedState } from "../checkpoint/checkpoint-storage.js";
import type { StateFileHandle, StoredCommittable } from "../checkpoint/metadata.js";
import type { WatermarkStrategy } from "../pipeline/functions.js";
import type { Json } from "../sink/sink.js";
import type { SourceReader } from "../source/source.js";
import type { InputGate } from "./input-gate.js";
import type { Output, StreamOperator } from "./operator.js";
import type { SubtaskCounters } from "./operator-metrics.js";
import type { RoutingOutput } from "./routing-output.js";
import { type BarrierOptions, MAX_WATERMARK } from "./stream-element.js";

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What a subtask reports to the checkpoint coordinator. */
export interface SnapshotSink {
  /** Where checkpoint `id` is written, or undefined when it was aborted meanwhile. */
  directoryOf(checkpointId: number): string | undefined;
  /**
   * Writes a subtask's state for checkpoint `id`: operator state and, for a keyed subtask,
   * its keyed state (read before the first await: the state at the barrier).
   */
  snapshotState(
    checkpointId: number,
    uid: string,
    subtask: number,
    operatorState: Json[],
    keyed: SubtaskKeyedState | undefined,
  ): Promise<StateFileHandle>;
  acknowledge(
    checkpointId: number,
    subtaskKey: string,
    handle: StateFileHandle,
    committables?: StoredCommittable[],
  ): void;
  /** The subtask could not write its state: checkpoint `id` fails with `reason`, the job runs on. */
  decline(checkpointId: number, subtaskKey: string, reason: unknown): void;
}

type BroadcastOutput = Output & Pick<RoutingOutput, "broadcast">;

abstract class Subtask {
  protected cancelled = false;
  /** True from a stop's barrier until the job ends or the stop fails: nothing may fire. */
  halted = false;
  private wakeUp: (() => void) | undefined;
  protected readonly mails: ((output: Output) => void | Promise<void>)[] = [];

  constructor(
    readonly uid: string,
    readonly index: number,
    protected readonly output: BroadcastOutput,
    protected readonly snapshots: SnapshotSink,
  ) {}

  get key(): string {
    return `${this.uid}#${this.index}`;
  }

  abstract run(): Promise<void>;

  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  protected sleep(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  enqueueMail(task: (output: Output) => void | Promise<void>): void {
    this.mails.push(task);
    this.wake();
  }

  cancel(): void {
    this.cancelled = true;
    this.wake();
  }

  /** Writes this subtask's state for the barrier's checkpoint, forwards the barrier, acknowledges. */
  protected async completeBarrier(
    barrier: BarrierOptions,
    operatorState: Json[],
    keyed: SubtaskKeyedState | undefined,
    committables?: StoredCommittable[],
  ): Promise<void> {
    const directory = this.snapshots.directoryOf(barrier.checkpointId);
    if (directory !== undefined) {
      // A state file that cannot be written (full disk, lost permission) fails this checkpoint,
      // not the job: the barrier still goes downstream, so later checkpoints align as usual.
      await this.snapshots
        .snapshotState(barrier.checkpointId, this.uid, this.index, operatorState, keyed)
        .then(
          (handle) => this.snapshots.acknowledge(barrier.checkpointId, this.key, handle, committables),
          (error: unknown) => this.snapshots.decline(barrier.checkpointId, this.key, error),
        );
    }
    await this.output.broadcast({ kind: "barrier", barrier });
  }
}

export class OperatorSubtask extends Subtask {
  constructor(
    uid: string,
    index: number,
    output: BroadcastOutput,
    snapshots: SnapshotSink,
    private readonly gate: InputGate,
    readonly operator: StreamOperator,
    private readonly keyed: SubtaskKeyedState | undefined,
    private readonly counters: SubtaskCounters,
  ) {
    super(uid, index, output, snapshots);
    gate.onData = () => this.wake();
  }

  async run(): Promise<void> {
    const { gate, operator, output } = this;
    while (!this.cancelled) {
      const mail = this.mails.shift();
      if (mail) {
        await mail(output);
        continue;
      }
      const event = gate.next();
      if (!event) {
        await this.sleep();
        continue;
      }
      if (event.kind === "record") {
        this.counters.recordsIn++;
        const pending = operator.processRecord(event.value, event.timestamp, output);
        if (pending) await pending;
      } else if (event.kind === "watermark") {
        await operator.processWatermark(event.timestamp, output);
        await output.broadcast({ kind: "watermark", timestamp: event.timestamp });
      } else {
        await this.onBarrier(event.barrier);
      }
    }
  }

  private async onBarrier(barrier: BarrierOptions): Promise<void> {
    if (barrier.stop === "drain") await this.operator.endInput(this.output);
    if (barrier.stop !== "none") this.halted = true;
    const snapshot = await this.operator.snapshot(barrier, this.output);
    const committables = (snapshot as { committables?: StoredCommittable[] }).committables;
    await this.completeBarrier(barrier, snapshot.operatorState, this.keyed, committables);
  }

  /** Checkpoint `id` was abandoned: its barrier is ignored when it arrives. */
  abandonBarrier(id: number): void {
    this.gate.abandon(id);
  }

  resume(): void {
    this.halted = false;
    this.operator.resume?.();
  }
}

export interface SourceSubtaskEvents {
  ended(subtask: SourceSubtask): void;
}

export class SourceSubtask extends Subtask {
  private pendingBarrier: BarrierOptions | undefined;
  private paused = false;
  ended = false;
  private maxTimestamp = Number.MIN_SAFE_INTEGER;
  private emittedWatermark = Number.MIN_SAFE_INTEGER;
  private lastRecordAt = Date.now();
  private idle = false;

  constructor(
    uid: string,
    index: number,
    output: BroadcastOutput,
    snapshots: SnapshotSink,
    private readonly reader: SourceReader<unknown>,
    private readonly watermarks: WatermarkStrategy<unknown> | undefined,
    private readonly events: SourceSubtaskEvents,
  ) {
    super(uid, index, output, snapshots);
  }

  /** Injects a barrier at the next record boundary. */
  triggerBarrier(barrier: BarrierOptions): void {
    this.pendingBarrier = barrier;
    this.wake();
  }

  /** Checkpoint `id` was abandoned: a barrier of it not yet emitted never is. */
  abandonBarrier(id: number): void {
    if (this.pendingBarrier && this.pendingBarrier.checkpointId <= id) this.pendingBarrier = undefined;
  }

  /** A stop's savepoint failed: fetch again from the barrier's position. */
  resume(): void {
    this.paused = false;
    this.halted = false;
    this.wake();
  }

  async run(): Promise<void> {
    while (!this.cancelled) {
      const barrier = this.pendingBarrier;
      if (barrier) {
        this.pendingBarrier = undefined;
        await this.emitBarrier(barrier);
        continue;
      }
      if (this.paused || this.ended) {
        await this.sleep();
        continue;
      }
      const poll = await this.reader.poll();
      if (this.cancelled) return;
      if ("ended" in poll) {
        this.ended = true;
        await this.output.broadcast({ kind: "watermark", timestamp: MAX_WATERMARK });
        this.events.ended(this);
        continue;
      }
      await this.emitRecords(poll.records);
      // Everything downstream runs on promise continuations: without a turn of the event
      // loop per batch, a source that always has data starves timers (periodic checkpoints,
      // processing-time timers, commit retries) and I/O (checkpoint files, the control
      // plane). Yielding only every 10 ms instead let a checkpoint that writes many files
      // (SQLite backend) take seconds, one file operation per 10 ms of processing.
      await yieldToEventLoop();
    }
  }

  private async emitRecords(records: readonly { value: unknown; timestamp?: number }[]): Promise<void> {
    const strategy = this.watermarks;
    const timestampOf = strategy?.timestampOf;
    for (const record of records) {
      const timestamp = timestampOf ? timestampOf(record.value) : record.timestamp;
      if (timestamp !== undefined && timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
      const pending = this.output.emit(record.value, timestamp);
      if (pending) await pending;
    }
    if (!strategy) return;
    const now = Date.now();
    if (records.length > 0) {
      this.lastRecordAt = now;
      if (this.idle) {
        this.idle = false;
        await this.output.broadcast({ kind: "idle", idle: false });
      }
      const watermark = this.maxTimestamp - strategy.maxOutOfOrdernessMs - 1;
      if (watermark > this.emittedWatermark) {
        this.emittedWatermark = watermark;
        await this.output.broadcast({ kind: "watermark", timestamp: watermark });
      }
    } else if (
      !this.idle &&
      strategy.idleTimeoutMs !== undefined &&
      now - this.lastRecordAt >= strategy.idleTimeoutMs
    ) {
      this.idle = true;
      await this.output.broadcast({ kind: "idle", idle: true });
    }
  }

  private async emitBarrier(barrier: BarrierOptions): Promise<void> {
    if (barrier.stop === "drain" && !this.ended) {
      await this.output.broadcast({ kind: "watermark", timestamp: MAX_WATERMARK });
    }
    if (barrier.stop !== "none") {
      this.paused = true;
      this.halted = true;
    }
    await this.completeBarrier(barrier, this.reader.snapshotSplits(barrier.checkpointId), undefined);
  }

  /** Checkpoint `id` is complete: the reader may report its positions outside. */
  async notifyCheckpointComplete(id: number): Promise<void> {
    await this.reader.notifyCheckpointComplete?.(id);
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}
