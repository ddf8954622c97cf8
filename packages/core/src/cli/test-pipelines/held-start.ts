/**
 * A test pipeline for `berth run` (sequence → file sink, like examples/sequence-to-files.ts)
 * whose start can be held: with `HOLD_START=<n>`, the n-th lingering cleanup (1 = the first
 * start, 2 = the restart after the first failover) prints `holding start <n>` and waits for the
 * process's SIGTERM before it goes on — a slow start or restart that a signal reaches for sure
 * while the job is CREATED or RESTARTING. Fail the first run with `BERTH_FAULT=while-writing@N:throw`.
 */
import { fileSink } from "../../file-sink/file-sink.js";
import { Pipeline } from "../../pipeline/pipeline.js";
import { sequenceSource } from "../../source/sequence-source.js";
import { definePipeline } from "../pipeline-module.js";

const HOLD_LIMIT_MS = 60_000;

function untilSigterm(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, HOLD_LIMIT_MS);
    process.once("SIGTERM", done);
  });
}

export default definePipeline(() => {
  const hold = Number(process.env.HOLD_START ?? 0);
  const files = fileSink<{ seq: number }>({ directory: process.env.OUT_DIR ?? "out" });
  let cleanups = 0;
  const held = {
    ...files,
    async abortLingering(context: Parameters<typeof files.abortLingering>[0]) {
      if (++cleanups === hold) {
        process.stdout.write(`holding start ${hold}\n`);
        await untilSigterm();
      }
      return files.abortLingering(context);
    },
  };
  const pipeline = Pipeline.create({ name: "held-start" });
  pipeline
    .source(sequenceSource({ ratePerSecond: Number(process.env.SEQ_RATE ?? 500) }), { uid: "sequence" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(held, { uid: "files" });
  return pipeline;
});
