/**
 * The pipeline of the S3 checkpoint-storage tests: a sequence (SEQ_COUNT, SEQ_RATE) keyed by
 * `seq % 8` into a running count per key held in keyed state, into the S3 sink at
 * S3_BUCKET/S3_PREFIX. Each record is `{seq, key, count}`: restored keyed state shows as counts
 * that go on from where they were (a lost state restarts a key at 1).
 */
import { definePipeline, type KeyedProcessFunction, Pipeline, sequenceSource } from "@berth/core";
import { serviceEndpoints } from "@berth/testkit/services";
import { s3Sink } from "../../s3-sink.js";

interface Counted {
  readonly seq: number;
  readonly key: number;
  readonly count: number;
}

const runningCount: KeyedProcessFunction<number, number, Counted> = {
  processElement(seq, context) {
    const state = context.state<number>("count");
    const count = (state.value() ?? 0) + 1;
    state.update(count);
    context.emit({ seq, key: context.key, count });
  },
};

export default definePipeline(() => {
  const count = process.env.SEQ_COUNT ? Number(process.env.SEQ_COUNT) : undefined;
  const pipeline = Pipeline.create({ name: "keyed-count-to-s3" });
  pipeline
    .source(
      sequenceSource({
        ...(count !== undefined ? { count } : {}),
        ratePerSecond: Number(process.env.SEQ_RATE ?? 500),
      }),
      {
        uid: "sequence",
        parallelism: 2,
      },
    )
    .keyBy((n) => n % 8)
    .process(runningCount, { uid: "count", parallelism: 2 })
    .sinkTo(
      s3Sink<Counted>({
        bucket: process.env.S3_BUCKET as string,
        base: process.env.S3_PREFIX as string,
        client: serviceEndpoints().s3,
      }),
      { uid: "s3", parallelism: 2 },
    );
  return pipeline;
});
