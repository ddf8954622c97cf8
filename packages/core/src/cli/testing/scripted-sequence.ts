/**
 * A test pipeline for `berth run` (a rate-limited sequence → the file sink in OUT_DIR, like
 * examples/sequence-to-files.ts) that a CLI test scripts through its environment:
 * - `HOLD_START=<n>`: the n-th lingering cleanup (1 = the first start, 2 = the restart after
 *   the first failover) prints `holding start <n>` and waits for the process's SIGTERM before it
 *   goes on — a slow start or restart that a signal reaches for sure while the job is CREATED or
 *   RESTARTING. Fail the first run with `BERTH_FAULT=while-writing@N:throw`.
 * - `BUSY_TARGET=<path>`: while that file exists, every commit answers *retry later* (the first
 *   time printing `commit retrying`).
 */
import { existsSync } from "node:fs";
import { fileSink } from "../../file-sink/file-sink.js";
import { Pipeline } from "../../pipeline/pipeline.js";
import { CommitOutcomes } from "../../sink/commit-outcome.js";
import type { Committer } from "../../sink/sink.js";
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
  const busy = process.env.BUSY_TARGET;
  const files = fileSink<{ seq: number }>({ directory: process.env.OUT_DIR ?? "out" });
  let cleanups = 0;
  let retrying = false;
  const scripted: typeof files = {
    ...files,
    async abortLingering(context) {
      if (++cleanups === hold) {
        process.stdout.write(`holding start ${hold}\n`);
        await untilSigterm();
      }
      return files.abortLingering(context);
    },
    async createCommitter(context) {
      const committer = await files.createCommitter(context);
      const wrapped: Committer<Parameters<typeof committer.commit>[0]> = {
        async commit(committable) {
          if (!busy || !existsSync(busy)) return committer.commit(committable);
          if (!retrying) process.stdout.write("commit retrying\n");
          retrying = true;
          return CommitOutcomes.retryLater("target busy");
        },
        close: () => committer.close(),
      };
      return wrapped;
    },
  };
  const pipeline = Pipeline.create({ name: "scripted-sequence" });
  pipeline
    .source(sequenceSource({ ratePerSecond: Number(process.env.SEQ_RATE ?? 500) }), { uid: "sequence" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(scripted, { uid: "files" });
  return pipeline;
});
