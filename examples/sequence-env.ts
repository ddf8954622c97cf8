/**
 * The settings every sequence example reads from the environment at each start
 * (DESIGN.md, "The sequence examples").
 */
import { integerSetting } from "./targets-env.js";

export interface SequenceSettings {
  /** SEQ_COUNT: records, then end of input; unbounded when unset. */
  readonly count: number | undefined;
  /** SEQ_RATE: records per second, 0 = unlimited. */
  readonly ratePerSecond: number;
  /** SEQ_PARALLELISM: default 1. */
  readonly parallelism: number;
}

export function sequenceSettings(): SequenceSettings {
  return {
    count: integerSetting("SEQ_COUNT", undefined, 0),
    ratePerSecond: integerSetting("SEQ_RATE", 0, 0) ?? 0,
    parallelism: integerSetting("SEQ_PARALLELISM", 1, 1) ?? 1,
  };
}
