/**
 * A test pipeline for `berth run` (sequence → file sink) whose commits never return: every
 * checkpoint pre-commits, nothing is ever committed, so a stop's synchronous commits miss the
 * commit deadline (`--commit-deadline`) and the job ends FAILED with exit 4.
 */
import { fileSink } from "../../file-sink/file-sink.js";
import { Pipeline } from "../../pipeline/pipeline.js";
import { sequenceSource } from "../../source/sequence-source.js";
import { definePipeline } from "../pipeline-module.js";

export default definePipeline(() => {
  const files = fileSink<{ seq: number }>({ directory: process.env.OUT_DIR ?? "out" });
  const stuck: typeof files = {
    ...files,
    async createCommitter(context) {
      const committer = await files.createCommitter(context);
      return { commit: () => new Promise(() => undefined), close: () => committer.close() };
    },
  };
  const pipeline = Pipeline.create({ name: "stuck-commits" });
  pipeline
    .source(sequenceSource({ ratePerSecond: Number(process.env.SEQ_RATE ?? 500) }), { uid: "sequence" })
    .map((seq) => ({ seq }), { uid: "to-record" })
    .sinkTo(stuck, { uid: "files" });
  return pipeline;
});
