/**
 * Generated orders and their totals per customer in event-time tumbling windows — shared by
 * `orders-to-postgres.ts` and the demo. Order n is a pure function of n (customer, amount and
 * event time), so anyone can compute what every window must hold and check a target against it.
 */
import {
  type DataStream,
  type Pipeline,
  sequenceSource,
  tumblingEventTimeWindows,
  type WindowResult,
} from "@berth/core";

export interface Order {
  readonly id: number;
  readonly customer: string;
  readonly amountCents: number;
  /** Event time, epoch milliseconds. */
  readonly time: number;
}

// A type, not an interface: window accumulators are stored as JSON, which an interface is not assignable to.
export type Totals = { readonly orders: number; readonly amountCents: number };

export type WindowTotals = WindowResult<string, Totals>;

export const CUSTOMERS = 5;
/** Event time of order 0: 2026-01-01T00:00:00Z; each next order is 50 ms later. */
export const ORDERS_EPOCH = Date.UTC(2026, 0, 1);
export const ORDER_SPACING_MS = 50;
/** 5 s windows (aligned to the epoch, as ORDERS_EPOCH is): 100 orders each, 20 per customer. */
export const WINDOW_MS = 5_000;

export function orderOf(n: number): Order {
  return {
    id: n,
    customer: `c${n % CUSTOMERS}`,
    amountCents: 100 + ((n * 37) % 900),
    time: ORDERS_EPOCH + n * ORDER_SPACING_MS,
  };
}

export interface OrdersOptions {
  /** Orders, then end of input; unbounded when undefined. */
  readonly count: number | undefined;
  /** Orders per second (0 = unlimited). */
  readonly ratePerSecond: number;
}

/** The order numbers 0, 1, 2, … from one source subtask, with each order's event time as its timestamp. */
export function orderNumbers(pipeline: Pipeline, options: OrdersOptions): DataStream<number> {
  return pipeline.source(
    sequenceSource({
      ...(options.count !== undefined ? { count: options.count } : {}),
      ratePerSecond: options.ratePerSecond,
    }),
    { uid: "orders", watermarks: { timestampOf: (n) => orderOf(n).time, maxOutOfOrdernessMs: 0 } },
  );
}

/**
 * The totals of every (customer, window): orders keyed by customer, in event-time tumbling
 * windows of {@link WINDOW_MS}, on `parallelism` subtasks. A window fires when the watermark
 * (the newest order's time: orders come in order) passes its end.
 */
export function windowTotals(numbers: DataStream<number>, parallelism: number): DataStream<WindowTotals> {
  return numbers
    .map(orderOf, { uid: "to-order" })
    .keyBy((order) => order.customer)
    .window(tumblingEventTimeWindows(WINDOW_MS))
    .aggregate<Totals, Totals>(
      {
        createAccumulator: () => ({ orders: 0, amountCents: 0 }),
        add: (order, t) => ({ orders: t.orders + 1, amountCents: t.amountCents + order.amountCents }),
        getResult: (t) => t,
      },
      { uid: "totals", parallelism },
    );
}

/** What the totals of `customer`'s window starting at `windowStart` are once orders 0..count-1 are all in it. */
export function expectedTotals(count: number): Map<string, Totals> {
  const expected = new Map<string, Totals>();
  for (let n = 0; n < count; n++) {
    const order = orderOf(n);
    const start = order.time - (order.time % WINDOW_MS);
    const key = windowKey(order.customer, start);
    const t = expected.get(key) ?? { orders: 0, amountCents: 0 };
    expected.set(key, { orders: t.orders + 1, amountCents: t.amountCents + order.amountCents });
  }
  return expected;
}

export function windowKey(customer: string, windowStart: number): string {
  return `${customer}@${new Date(windowStart).toISOString()}`;
}
