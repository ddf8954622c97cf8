/**
 * Orders → totals per customer in 5 s event-time tumbling windows → upserted into PostgreSQL:
 * `berth run examples/orders-to-postgres.ts`. A row of PG_TABLE (default `order_totals`,
 * created when missing, primary key (customer, window_start)) is written once its window
 * fires. `berth stop` keeps the open windows in the savepoint (they fire after the restore);
 * `berth stop --drain` fires every window before the job ends (examples/README.md).
 * Environment: ORDERS_COUNT (orders, then end of input; default unbounded), ORDERS_RATE
 * (orders per second, default 200, 0 = unlimited), PARALLELISM (default 1), PG_URL.
 */
import { definePipeline, Pipeline } from "@berth/core";
import { postgresSink } from "@berth/sink-postgres";
import { orderNumbers, type WindowTotals, windowTotals } from "./orders.js";
import { integerSetting, postgresUrl } from "./targets-env.js";

export default definePipeline(() => {
  const parallelism = integerSetting("PARALLELISM", 1, 1) ?? 1;
  const pipeline = Pipeline.create({ name: "orders-to-postgres" });
  const orders = orderNumbers(pipeline, {
    count: integerSetting("ORDERS_COUNT", undefined, 0),
    ratePerSecond: integerSetting("ORDERS_RATE", 200, 0) ?? 200,
  });
  // Upsert needs every record of a key at one sink subtask: the window operator before the
  // sink is keyed by customer, part of the conflict key, at the sink's parallelism.
  windowTotals(orders, parallelism).sinkTo(
    postgresSink<WindowTotals>({
      connectionString: postgresUrl(),
      table: process.env.PG_TABLE || "order_totals",
      columns: ["customer", "window_start", "window_end", "orders", "amount_cents"],
      row: (t) => [
        t.key,
        new Date(t.windowStart),
        new Date(t.windowEnd),
        t.result.orders,
        t.result.amountCents,
      ],
      mode: "upsert",
      conflictKey: ["customer", "window_start"],
      createTable: {
        customer: "text NOT NULL",
        window_start: "timestamptz NOT NULL",
        window_end: "timestamptz NOT NULL",
        orders: "bigint NOT NULL",
        amount_cents: "bigint NOT NULL",
      },
    }),
    { uid: "order-totals", parallelism },
  );
  return pipeline;
});
