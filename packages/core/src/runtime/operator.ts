/**
 * The internal operator interface a subtask drives. User functions (map, process
 * functions, windows) and sinks are wrapped in operators; connector authors never see it.
 */
import type { Json } from "../sink/sink.js";
import type { KeyedStateStore } from "../state/state-backend.js";
import type { BarrierOptions } from "./stream-element.js";

export interface Output {
  /** Sends a record downstream; a promise means the downstream queue is full (backpressure). */
  emit(value: unknown, timestamp: number | undefined): void | Promise<void>;
}

export interface OperatorContext {
  readonly uid: string;
  readonly subtask: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** The key groups this subtask owns (keyed operators only). */
  readonly keyGroups: { readonly start: number; readonly end: number };
  /** This subtask's keyed state; empty and unused for non-keyed operators. */
  readonly state: KeyedStateStore;
  /** Runs `task` inside the subtask's loop, between elements (timers use it). */
  enqueueMail(task: (output: Output) => void | Promise<void>): void;
  /** True while a stop's synchronous savepoint runs: nothing may fire. */
  isHalted(): boolean;
}

/** What an operator subtask contributes to a checkpoint, besides its keyed state. */
export interface OperatorSnapshot {
  /** Non-keyed state, redistributed round-robin (one list entry per unit) on rescale. */
  readonly operatorState: Json[];
}

export interface StreamOperator {
  open(context: OperatorContext, restoredOperatorState: Json[]): Promise<void>;
  processRecord(value: unknown, timestamp: number | undefined, output: Output): void | Promise<void>;
  /** The combined input watermark advanced: fire event-time timers up to it. */
  processWatermark(watermark: number, output: Output): void | Promise<void>;
  /** Drain or end of input: everything buffered is emitted. */
  endInput(output: Output): Promise<void>;
  /** Aligned barrier: pre-commit (sinks) and return state for the checkpoint. */
  snapshot(barrier: BarrierOptions, output: Output): Promise<OperatorSnapshot>;
  /** A stop's savepoint failed and the job keeps running: undo what halting paused. */
  resume?(): void;
  close(): Promise<void>;
}

/** A stateless operator needs only `processRecord`. */
export abstract class StatelessOperator implements StreamOperator {
  async open(): Promise<void> {}
  abstract processRecord(value: unknown, timestamp: number | undefined, output: Output): void | Promise<void>;
  processWatermark(): void {}
  async endInput(): Promise<void> {}
  async snapshot(): Promise<OperatorSnapshot> {
    return { operatorState: [] };
  }
  async close(): Promise<void> {}
}
