/**
 * A test pipeline for `berth run` (sequence → file sink) whose map operator `to-record`
 * throws at record `FAIL_AT` (default 20) on every attempt, so the job exhausts its restarts
 * and ends FAILED, exit 1, naming the operator and subtask.
 */
import { fileSink } from "../../file-sink/file-sink.js";
import { Pipeline } from "../../pipeline/pipeline.js";
import { sequenceSource } from "../../source/sequence-source.js";
import { definePipeline } from "../pipeline-module.js";

export default definePipeline(() => {
  const failAt = Number(process.env.FAIL_AT ?? 20);
  const pipeline = Pipeline.create({ name: "failing-map" });
  pipeline
    .source(sequenceSource({ ratePerSecond: 0 }), { uid: "sequence" })
    .map(
      (seq) => {
        if (seq === failAt) throw new Error(`record ${seq} is poison`);
        return { seq };
      },
      { uid: "to-record" },
    )
    .sinkTo(fileSink({ directory: process.env.OUT_DIR ?? "out" }), { uid: "files" });
  return pipeline;
});
