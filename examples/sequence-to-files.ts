/**
 * A sequence source into the transactional file sink: `berth run examples/sequence-to-files.ts`.
 * Each committed file in OUT_DIR (default `.berth/out/sequence`) holds JSON lines `{"seq": n}`.
 */
import { definePipeline, fileSink, Pipeline, sequenceSource } from "@berth/core";
import { sequenceSettings } from "./sequence-env.js";

export default definePipeline(() => {
  const { count, ratePerSecond, parallelism } = sequenceSettings();
  const pipeline = Pipeline.create({ name: "sequence-to-files" });
  pipeline
    .source(sequenceSource({ ...(count !== undefined ? { count } : {}), ratePerSecond }), {
      uid: "sequence",
      parallelism,
    })
    .map((seq) => ({ seq }), { uid: "to-record", parallelism })
    .sinkTo(fileSink({ directory: process.env.OUT_DIR ?? ".berth/out/sequence" }), {
      uid: "files",
      parallelism,
    });
  return pipeline;
});
