/**
 * Stop latency: from a stop request over REST (POST /jobs/:id/stop, the control plane `berth
 * run` serves, so no CLI start-up is in the figure) to the job FINISHED with every commit done,
 * for suspend and drain, against the records in flight (the channel capacities bound them: the
 * source runs unthrottled, so the channels are full) and the keyed state's size. Each run
 * restores the previous run's savepoint, runs until its channels filled, and is stopped.
 */
import { startRestServer } from "@berth/core/testing";
import type { Benchmark, Row } from "./harness.js";
import { percentile, round2 } from "./harness.js";
import { keyedJob, waitUntil } from "./keyed-job.js";

interface Config {
  readonly keys: number;
  readonly inFlight: number;
  readonly stops: readonly ("suspend" | "drain")[];
}

const BOTH = ["suspend", "drain"] as const;
/** Every in-flight size against 1e4 keys; 1e6 keys (each run restores them) at 10k in flight unless --large. */
const SIZES: Record<string, { runs: number; configs: Config[] }> = {
  smoke: { runs: 2, configs: [{ keys: 10_000, inFlight: 1_000, stops: BOTH }] },
  default: {
    runs: 20,
    configs: [
      ...[1_000, 10_000, 100_000].map((inFlight) => ({ keys: 10_000, inFlight, stops: BOTH })),
      { keys: 1_000_000, inFlight: 10_000, stops: ["suspend"] },
    ],
  },
  large: {
    runs: 20,
    configs: [10_000, 1_000_000].flatMap((keys) =>
      [1_000, 10_000, 100_000].map((inFlight) => ({ keys, inFlight, stops: BOTH })),
    ),
  },
};
/** Channels between the source and the sink (source → count → sink): the capacity of each is in-flight ÷ 2. */
const CHANNELS = 2;

async function stopOverRest(port: number, jobId: string, drain: boolean): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/jobs/${jobId}/stop`, {
    method: "POST",
    headers: { authorization: "Bearer bench", "content-type": "application/json" },
    body: JSON.stringify({ drain }),
  });
  if (response.status !== 202) throw new Error(`stop answered ${response.status}: ${await response.text()}`);
}

export const stopLatencyBenchmark: Benchmark = {
  name: "stop-latency",
  title: "Stop latency over REST: request → FINISHED with every commit done",
  async run(context) {
    const size = SIZES[context.size] as { runs: number; configs: Config[] };
    const rows: Row[] = [];
    let runId = 0;
    const savepoints = new Map<number, string>();
    for (const { keys, inFlight, stops } of size.configs) {
      let savepoint = savepoints.get(keys);
      if (savepoint === undefined) {
        // Seed: a job that saw every key once, stopped into the savepoint the first run restores.
        const seed = keyedJob({ keys, work: context.work, name: `seed-${keys}` });
        const seeded = seed.job.run();
        await waitUntil(() => seed.processed() >= keys, `${keys} keys in state`);
        savepoint = await seed.job.stop({ drain: false });
        await seeded;
      }
      for (const stop of stops) {
        const drain = stop === "drain";
        const times: number[] = [];
        for (let i = 0; i < size.runs; i++) {
          const run = keyedJob({
            keys,
            work: context.work,
            name: `run-${runId++}`,
            channelCapacity: inFlight / CHANNELS,
            restore: savepoint,
          });
          const ended = run.job.run();
          const server = await startRestServer(run.job, { port: 0, token: "bench" });
          try {
            // Running, and enough processed since the restore that the channels are full.
            await waitUntil(
              () => run.job.state === "RUNNING" && run.processed() >= inFlight,
              "channels to fill",
            );
            const started = performance.now();
            await stopOverRest(server.port, run.job.jobId, drain);
            const result = await ended;
            times.push(performance.now() - started);
            if (result.state !== "FINISHED" || !result.savepoint)
              throw new Error(`stopped job ended ${result.state}: ${result.error?.message}`);
            savepoint = result.savepoint;
            savepoints.set(keys, savepoint);
          } finally {
            await server.close(0);
          }
        }
        const p99 = round2(percentile(times, 99));
        const row: Row = {
          keys,
          inFlight,
          stop: drain ? "drain" : "suspend",
          runs: times.length,
          p50: round2(percentile(times, 50)),
          p99,
          max: round2(Math.max(...times)),
          ratio: null,
          ...(inFlight === 10_000 ? { goal: { text: "p99 < 100 ms", met: p99 < 100 } } : {}),
        };
        context.log(`${keys} keys, ${inFlight} in flight, ${row.stop}: p50 ${row.p50} ms, p99 ${p99} ms`);
        rows.push(row);
      }
    }
    return {
      parameters: {
        runs: size.runs,
        configs: size.configs.map((c) => `${c.keys} keys, ${c.inFlight} in flight, ${c.stops.join("+")}`),
        channels: CHANNELS,
      },
      columns: [
        { key: "keys", label: "keys in state" },
        { key: "inFlight", label: "records in flight (channel capacity × 2)" },
        { key: "stop", label: "stop" },
        { key: "runs", label: "runs" },
        { key: "p50", label: "p50 (ms)" },
        { key: "p99", label: "p99 (ms)" },
        { key: "max", label: "max (ms)" },
      ],
      rows,
      notes: [
        "job: unbounded sequence source → keyBy(seq % keys) → a count per key in keyed state (memory backend) → exactly-once file sink, parallelism 1, checkpoints every 1 s",
        "timed from sending POST /jobs/:id/stop to the job's end (FINISHED, the savepoint written and every commit done); each run restores the previous run's savepoint and is stopped once its channels are full",
        "goal: p99 < 100 ms with 10k records in flight",
      ],
    };
  },
};
