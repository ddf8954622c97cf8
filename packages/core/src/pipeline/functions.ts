/** User-function types of the pipeline API. */
import type { Json } from "../sink/sink.js";

export interface ValueState<V extends Json> {
  /** The value for the current key, or undefined. Call `update` after changing it. */
  value(): V | undefined;
  update(value: V): void;
  clear(): void;
}

export interface TimerService {
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
  registerProcessingTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
}

export interface KeyedContext<K, O> {
  /** The key of the record or timer being processed. */
  readonly key: K;
  /** Event time of the record, or the timer's time in `onTimer`. */
  readonly timestamp: number | undefined;
  readonly timers: TimerService;
  state<V extends Json>(name: string): ValueState<V>;
  /** Emits a record downstream, with the given event time (default: the current one). */
  emit(value: O, timestamp?: number): void;
}

export interface KeyedProcessFunction<K, I, O> {
  processElement(value: I, context: KeyedContext<K, O>): void;
  onTimer?(timestamp: number, domain: "eventTime" | "processingTime", context: KeyedContext<K, O>): void;
}

/** Incremental aggregation of a window's records; the accumulator is kept in state. */
export interface AggregateFunction<I, A extends Json, R> {
  createAccumulator(): A;
  add(value: I, accumulator: A): A;
  getResult(accumulator: A): R;
}

export interface WindowResult<K, R> {
  readonly key: K;
  /** Inclusive start, exclusive end, epoch milliseconds. */
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly result: R;
}

/** Event-time windows: tumbling when `slideMs` equals `sizeMs`. */
export interface WindowAssigner {
  readonly sizeMs: number;
  readonly slideMs: number;
}

export function tumblingEventTimeWindows(sizeMs: number): WindowAssigner {
  return { sizeMs, slideMs: sizeMs };
}

export function slidingEventTimeWindows(sizeMs: number, slideMs: number): WindowAssigner {
  return { sizeMs, slideMs };
}

export interface WatermarkStrategy<T> {
  /** Event time of a record; default: the timestamp the source attached. */
  readonly timestampOf?: (value: T) => number;
  /** How late a record may be relative to the newest seen. */
  readonly maxOutOfOrdernessMs: number;
  /** After this long without records, the source is idle and does not hold watermarks back. */
  readonly idleTimeoutMs?: number;
}
