/**
 * A test pipeline for `berth run`: examples/sequence-to-files.ts (same name and uids) with its
 * map operator renamed to `to-record-v2`, so a savepoint of the example holds state of an
 * operator (`to-record`) this pipeline no longer has — refused unless `-n`.
 */
import { fileSink } from "../../file-sink/file-sink.js";
import { Pipeline } from "../../pipeline/pipeline.js";
import { sequenceSource } from "../../source/sequence-source.js";
import { definePipeline } from "../pipeline-module.js";

export default definePipeline(() => {
  const pipeline = Pipeline.create({ name: "sequence-to-files" });
  pipeline
    .source(sequenceSource({ ratePerSecond: Number(process.env.SEQ_RATE ?? 500) }), { uid: "sequence" })
    .map((seq) => ({ seq }), { uid: "to-record-v2" })
    .sinkTo(fileSink({ directory: process.env.OUT_DIR ?? "out" }), { uid: "files" });
  return pipeline;
});
