/**
 * `examples/orders-to-postgres.ts` through the `berth` CLI against the real PostgreSQL: what
 * examples/README.md says about its windows. A suspend (`berth stop`) leaves only complete
 * windows in the table — the open ones stay in the savepoint — and after a restore, a SIGKILL
 * and a `--from-latest` recovery the table holds every window's exact totals; a drain
 * (`berth stop --drain`) fires every window, the partial ones too, before the job ends. The
 * expected totals are computed from the order numbers, the table read with plain SQL.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectedTotals, windowKey } from "../orders.js";
import { rowsOf, sql, uniqueName, waitFor } from "../target-readers.js";
import { berth } from "./berth-runs.js";

/** 40 s at 200 orders per second: the stop and the kill land long before the end of input, even on a loaded machine. */
const COUNT = 8000;
const tables: string[] = [];

interface TotalsRow {
  readonly customer: string;
  readonly window_start: Date;
  readonly orders: string;
  readonly amount_cents: string;
}

/** The table as window key → totals, as the reader sees it. */
async function totals(table: string): Promise<Map<string, { orders: number; amountCents: number }>> {
  const rows = await rowsOf<TotalsRow>(table, "customer, window_start, orders, amount_cents");
  return new Map(
    rows.map((r) => [
      windowKey(r.customer, r.window_start.getTime()),
      { orders: Number(r.orders), amountCents: Number(r.amount_cents) },
    ]),
  );
}

async function setup(name: string) {
  const table = uniqueName(name).replaceAll("-", "_");
  tables.push(table);
  const jobId = table.replaceAll("_", "-");
  const env = { PG_TABLE: table, ORDERS_COUNT: String(COUNT), ORDERS_RATE: "200" };
  const checkpointDir = await mkdtemp(join(tmpdir(), "berth-orders-"));
  const run = (extra: string[] = [], rate = env.ORDERS_RATE) =>
    berth(
      [
        "run",
        "examples/orders-to-postgres.ts",
        "--job-id",
        jobId,
        "--checkpoint-dir",
        checkpointDir,
        "--checkpoint-interval",
        "300",
        ...extra,
      ],
      { ...env, ORDERS_RATE: rate },
    );
  const stop = async (...flags: string[]) => {
    const stopped = await berth(["stop", jobId, ...flags], env).exit;
    expect(stopped.code, stopped.output).toBe(0);
  };
  const windowsAtLeast = (n: number) =>
    waitFor(`${n} windows in ${table}`, async () => (await totals(table)).size >= n);
  return { table, run, stop, windowsAtLeast };
}

afterAll(async () => {
  for (const table of tables) await sql(`DROP TABLE IF EXISTS "${table}"`);
});

describe("examples/orders-to-postgres.ts", () => {
  it("berth stop keeps open windows in the savepoint; restored, killed and recovered, every window's totals are exact", async () => {
    const { table, run, stop, windowsAtLeast } = await setup("orders_stop");
    const expected = expectedTotals(COUNT);
    const first = run();
    await windowsAtLeast(1);
    await stop();
    expect((await first.exit).code).toBe(0);
    const afterStop = await totals(table);
    // Only windows that closed before the stop: each complete, none of the open ones partially.
    expect(afterStop.size).toBeLessThan(expected.size);
    for (const [key, t] of afterStop) expect(t, key).toEqual(expected.get(key));

    const restored = run(["--from-latest"]);
    await windowsAtLeast(afterStop.size + 1);
    restored.child.kill("SIGKILL");
    expect((await restored.exit).code).toBeNull();
    // The rest at full speed: the rate only gave the stop and the kill time to land mid-run.
    const recovered = await run(["--from-latest"], "0").exit;
    expect(recovered.code, recovered.output).toBe(0);
    expect(await totals(table)).toEqual(expected);
  });

  it("berth stop --drain fires every window, partial ones included, before the job ends", async () => {
    const { table, run, stop, windowsAtLeast } = await setup("orders_drain");
    const job = run();
    await windowsAtLeast(1);
    await stop("--drain");
    expect((await job.exit).code).toBe(0);
    const drained = await totals(table);
    // Every order read is in a window row: the table is exactly the windows of orders 0..read-1.
    const read = [...drained.values()].reduce((sum, t) => sum + t.orders, 0);
    expect(read).toBeLessThan(COUNT);
    expect(drained).toEqual(expectedTotals(read));
  });
});
