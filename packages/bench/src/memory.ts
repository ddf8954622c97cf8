/**
 * Memory under backpressure: the peak RSS (the kernel's high-water mark, VmHWM) of a job whose
 * sink is slower than its source, over a bounded run, in a process of its own.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Benchmark } from "./harness.js";
import { rate } from "./harness.js";

const SIZES = { smoke: 10_000, default: 1_000_000, large: 10_000_000 };
const GOAL_MIB = 200;
const script = fileURLToPath(new URL("./memory-job.ts", import.meta.url));

export const memoryBenchmark: Benchmark = {
  name: "memory",
  title: "Memory: peak RSS of a job whose sink is slower than its source",
  async run(context) {
    const records = SIZES[context.size];
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", script, String(records), context.work],
      {
        timeout: 1_800_000,
        env: { ...process.env, BERTH_LOG_LEVEL: "silent" },
      },
    );
    const { peakRssMiB, ms } = JSON.parse(stdout.trim().split("\n").pop() as string) as {
      peakRssMiB: number;
      ms: number;
    };
    context.log(`${records} records: peak RSS ${peakRssMiB} MiB`);
    return {
      parameters: { records, channelCapacity: 1024, sinkPause: "1 ms every 1000 records" },
      columns: [
        { key: "records", label: "records" },
        { key: "rate", label: "records/s (the slow sink's pace)" },
        { key: "peakRssMiB", label: "peak RSS (MiB)" },
      ],
      rows: [
        {
          records,
          rate: rate(records, ms),
          peakRssMiB,
          ratio: null,
          goal: { text: `peak RSS < ${GOAL_MIB} MB`, met: peakRssMiB * 1.048576 < GOAL_MIB },
        },
      ],
      notes: [
        "job: sequence source → map to 100 B records → exactly-once file sink whose writer pauses 1 ms every 1000 records, checkpoints every 1 s, default channel capacity (1024), in its own Node process (under tsx) whose VmHWM is read at the end",
        `goal: peak RSS < ${GOAL_MIB} MB`,
      ],
    };
  },
};
