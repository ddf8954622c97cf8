/**
 * The child process of crash cases: loads the author's factory module, runs the
 * conformance job described by `BERTH_CONFORMANCE_RUN` (JSON) and exits 0 when the job ends
 * FINISHED. `BERTH_FAULT` in its environment makes it SIGKILL itself at a lifecycle point.
 * Progress goes to stdout as lines `@@berth-conformance <json>`.
 */
import { armFault } from "@berth/core/testing";
import { TestkitError } from "../errors.js";
import { buildConformanceJob } from "./conformance-job.js";
import { EVENT_PREFIX, RUN_ENV, type RunnerEvent, type RunnerSpec } from "./runner-protocol.js";
import { loadSinkFactory } from "./sink-factory.js";
import { withHeldStart } from "./stalls.js";

/** How long a held start waits for its signal before it goes on anyway. */
const HOLD_LIMIT_MS = 60_000;

function emit(event: RunnerEvent): Promise<void> {
  return new Promise((resolve) =>
    process.stdout.write(`${EVENT_PREFIX}${JSON.stringify(event)}\n`, () => resolve()),
  );
}

async function main(): Promise<number> {
  const raw = process.env[RUN_ENV];
  if (!raw)
    throw new TestkitError(
      "TESTKIT_MISUSE",
      `${RUN_ENV} is not set; this script is started by the conformance kit, not by hand`,
    );
  const spec = JSON.parse(raw) as RunnerSpec;
  const factory = await loadSinkFactory(spec.factoryModule, spec.factoryExport);
  let seen = 0;
  const created = factory.createSink(spec.target);
  const signal = spec.signal;
  const sink = signal
    ? withHeldStart(created, { start: signal.holdStart, signal: "SIGTERM", limitMs: HOLD_LIMIT_MS }, () => {
        void emit({ event: "holding-start", start: signal.holdStart });
      })
    : created;
  const job = buildConformanceJob(sink, spec.run, undefined, () => {
    if (spec.stop && ++seen === spec.stop.afterRecords) void stop(spec.stop);
  });
  async function stop(request: NonNullable<RunnerSpec["stop"]>): Promise<void> {
    job.once("commits", (_done: number, total: number) => {
      void emit({ event: "stop-commits", total });
      // After the stop's last commit: every commit made, none recorded as confirmed yet.
      if (request.fault && total > 0) armFault(`mid-commit@${total}:${request.fault}`);
    });
    await job.stop({ drain: request.drain }).then(
      (savepoint) => emit({ event: "stopped", savepoint }),
      (error: Error) => emit({ event: "stop-failed", error: error.message }),
    );
  }
  if (signal) {
    // As `berth run`: SIGTERM = stop with a savepoint (once).
    process.once("SIGTERM", () => {
      job.stop({ drain: false }).then(
        (savepoint) => emit({ event: "stopped", savepoint }),
        (error: Error) => emit({ event: "stop-failed", error: error.message }),
      );
    });
  }
  job.on("running", () => void emit({ event: "running" }));
  job.on("state", (state: string) => state === "RESTARTING" && void emit({ event: "restarting" }));
  job.on(
    "snapshot-written",
    (id: number, directory: string) => void emit({ event: "snapshot", id, directory }),
  );
  const result = await job.run();
  await emit({
    event: "end",
    state: result.state,
    ...(result.savepoint ? { savepoint: result.savepoint } : {}),
    ...(result.error ? { error: result.error.message } : {}),
  });
  return result.state === "FINISHED" ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`conformance job runner: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(2);
  },
);
