/**
 * Event-time tumbling and sliding window aggregation, as a keyed process function: one
 * accumulator per key and window in keyed state, and an event-time timer at the window's
 * end. A window fires when the watermark passes its end; records later than that are
 * dropped (no allowed lateness).
 */
import { BerthError } from "../errors.js";
import type {
  AggregateFunction,
  KeyedProcessFunction,
  WindowAssigner,
  WindowResult,
} from "../pipeline/functions.js";
import type { Json } from "../sink/sink.js";

export function windowAggregation<K, T, A extends Json, R>(
  assigner: WindowAssigner,
  fn: AggregateFunction<T, A, R>,
): KeyedProcessFunction<K, T, WindowResult<K, R>> {
  const { sizeMs, slideMs } = assigner;
  if (!(sizeMs > 0 && slideMs > 0 && slideMs <= sizeMs)) {
    throw new BerthError(
      "PIPELINE_INVALID",
      `window size ${sizeMs} ms and slide ${slideMs} ms must be positive, slide ≤ size`,
    );
  }
  const stateName = (start: number) => `window/${start}`;
  return {
    processElement(value, context) {
      const timestamp = context.timestamp;
      if (timestamp === undefined) {
        throw new BerthError(
          "PIPELINE_INVALID",
          "an event-time window got a record without a timestamp; give the source a watermark strategy",
        );
      }
      const lastStart = timestamp - (((timestamp % slideMs) + slideMs) % slideMs);
      for (let start = lastStart; start > timestamp - sizeMs; start -= slideMs) {
        const end = start + sizeMs;
        if (end - 1 <= context.timers.currentWatermark()) continue; // late: the window already fired
        const state = context.state<A>(stateName(start));
        state.update(fn.add(value, state.value() ?? fn.createAccumulator()));
        context.timers.registerEventTimeTimer(end - 1);
      }
    },
    onTimer(timestamp, _domain, context) {
      const windowEnd = timestamp + 1;
      const windowStart = windowEnd - sizeMs;
      const state = context.state<A>(stateName(windowStart));
      const accumulator = state.value();
      if (accumulator === undefined) return;
      state.clear();
      context.emit(
        { key: context.key, windowStart, windowEnd, result: fn.getResult(accumulator) },
        timestamp,
      );
    },
  };
}
