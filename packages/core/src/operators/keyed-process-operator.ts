/**
 * Runs a {@link KeyedProcessFunction}: keyed value state and event-time and processing-time
 * timers, all in the subtask's keyed state store. Processing-time timers never fire while a
 * stop's synchronous savepoint runs; overdue ones fire after restore.
 */
import { BerthError } from "../errors.js";
import type { KeyedContext, KeyedProcessFunction, TimerService, ValueState } from "../pipeline/functions.js";
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from "../runtime/operator.js";
import { MAX_WATERMARK } from "../runtime/stream-element.js";
import type { Json } from "../sink/sink.js";
import { keyGroupOf, keyString } from "../state/key-groups.js";
import { type Timer, TimerQueue } from "./timer-queue.js";

const EVENT_TIMERS = "__timers/event";
const PROCESSING_TIMERS = "__timers/processing";

export class KeyedProcessOperator implements StreamOperator {
  private context!: OperatorContext;
  private eventTimers!: TimerQueue;
  private processingTimers!: TimerQueue;
  private processingTimeout: NodeJS.Timeout | undefined;
  private watermark = Number.MIN_SAFE_INTEGER;
  private current: { key: unknown; keyString: string; keyGroup: number; timestamp: number | undefined } = {
    key: undefined,
    keyString: "",
    keyGroup: 0,
    timestamp: undefined,
  };
  private emitted: { value: unknown; timestamp: number | undefined }[] = [];
  private readonly keyedContext: KeyedContext<unknown, unknown>;

  constructor(
    private readonly fn: KeyedProcessFunction<unknown, unknown, unknown>,
    private readonly keyOf: (value: unknown) => unknown,
  ) {
    const operator = this;
    const timers: TimerService = {
      currentWatermark: () => this.watermark,
      currentProcessingTime: () => Date.now(),
      registerEventTimeTimer: (ts) => this.eventTimers.register(this.timerFor(ts)),
      deleteEventTimeTimer: (ts) =>
        this.eventTimers.delete(ts, this.current.keyGroup, this.current.keyString),
      registerProcessingTimeTimer: (ts) => {
        this.processingTimers.register(this.timerFor(ts));
        this.scheduleProcessingTimers();
      },
      deleteProcessingTimeTimer: (ts) =>
        this.processingTimers.delete(ts, this.current.keyGroup, this.current.keyString),
    };
    this.keyedContext = {
      get key() {
        return operator.current.key;
      },
      get timestamp() {
        return operator.current.timestamp;
      },
      timers,
      state: <V extends Json>(name: string) => this.valueState<V>(name),
      emit: (value, timestamp) => {
        this.emitted.push({ value, timestamp: timestamp ?? this.current.timestamp });
      },
    };
  }

  private timerFor(timestamp: number): Timer {
    return {
      timestamp,
      keyGroup: this.current.keyGroup,
      keyString: this.current.keyString,
      key: this.current.key as Json,
    };
  }

  private valueState<V extends Json>(name: string): ValueState<V> {
    if (name.startsWith("__"))
      throw new BerthError("PIPELINE_INVALID", `state name "${name}" is reserved (starts with "__")`);
    const store = this.context.state;
    const { keyGroup, keyString: k } = this.current;
    return {
      value: () => store.get(name, keyGroup, k) as V | undefined,
      update: (value) => store.put(name, keyGroup, k, value),
      clear: () => store.delete(name, keyGroup, k),
    };
  }

  async open(context: OperatorContext): Promise<void> {
    this.context = context;
    this.eventTimers = new TimerQueue(EVENT_TIMERS, context.state);
    this.processingTimers = new TimerQueue(PROCESSING_TIMERS, context.state);
    this.scheduleProcessingTimers();
  }

  private setKey(key: unknown, timestamp: number | undefined, keyGroup?: number): void {
    const k = keyString(key);
    this.current = {
      key,
      keyString: k,
      keyGroup: keyGroup ?? keyGroupOf(k, this.context.maxParallelism),
      timestamp,
    };
  }

  private async flushEmitted(output: Output): Promise<void> {
    const batch = this.emitted;
    this.emitted = [];
    for (const e of batch) await output.emit(e.value, e.timestamp);
  }

  processRecord(value: unknown, timestamp: number | undefined, output: Output): void | Promise<void> {
    this.setKey(this.keyOf(value), timestamp);
    this.fn.processElement(value, this.keyedContext);
    if (this.emitted.length > 0) return this.flushEmitted(output);
  }

  private fire(timer: Timer, domain: "eventTime" | "processingTime"): void {
    this.setKey(timer.key, timer.timestamp, timer.keyGroup);
    this.fn.onTimer?.(timer.timestamp, domain, this.keyedContext);
  }

  async processWatermark(watermark: number, output: Output): Promise<void> {
    this.watermark = watermark;
    for (
      let timer = this.eventTimers.pollDue(watermark);
      timer;
      timer = this.eventTimers.pollDue(watermark)
    ) {
      this.fire(timer, "eventTime");
      await this.flushEmitted(output);
    }
  }

  private scheduleProcessingTimers(): void {
    const next = this.processingTimers.peekTime();
    if (this.processingTimeout) clearTimeout(this.processingTimeout);
    this.processingTimeout = undefined;
    if (next === undefined) return;
    this.processingTimeout = setTimeout(
      () => {
        this.processingTimeout = undefined;
        this.context.enqueueMail((output) => this.fireProcessingTimers(output));
      },
      Math.max(0, next - Date.now()),
    );
    this.processingTimeout.unref();
  }

  private async fireProcessingTimers(output: Output): Promise<void> {
    if (this.context.isHalted()) return; // a synchronous savepoint runs: fire nothing; resume() reschedules
    const now = Date.now();
    for (let timer = this.processingTimers.pollDue(now); timer; timer = this.processingTimers.pollDue(now)) {
      this.fire(timer, "processingTime");
      await this.flushEmitted(output);
    }
    this.scheduleProcessingTimers();
  }

  /** The stop's savepoint failed and the job continues: timers may fire again. */
  resume(): void {
    this.scheduleProcessingTimers();
  }

  async endInput(output: Output): Promise<void> {
    // The MAX watermark arrived before end of input; fire anything registered since.
    await this.processWatermark(MAX_WATERMARK, output);
  }

  async snapshot(): Promise<OperatorSnapshot> {
    return { operatorState: [] };
  }

  async close(): Promise<void> {
    if (this.processingTimeout) clearTimeout(this.processingTimeout);
  }
}
