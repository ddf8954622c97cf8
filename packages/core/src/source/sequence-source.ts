/**
 * A sequence generator: the numbers 0, 1, 2, … up to `count` (exclusive; unbounded when
 * absent), optionally rate-limited. The numbers are split into residue classes (split k of
 * K yields k, k+K, k+2K, …) whose next number is checkpointed, so a restore continues
 * exactly where the checkpoint was taken, at any parallelism. `count` is read at every
 * start: a restored position at or past it ends input at once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BerthError } from "../errors.js";
import type { Json } from "../sink/sink.js";
import type { Source, SourcePoll, SourceReader, SourceRecord } from "./source.js";

export interface SequenceSourceOptions {
  /** Numbers to generate; then end of input. Default: unbounded. */
  readonly count?: number;
  /** Records per second over all subtasks; 0 or absent = unlimited. */
  readonly ratePerSecond?: number;
  /** Records per poll at most. Default 500. */
  readonly batchSize?: number;
}

interface SequenceSplit {
  readonly split: number;
  readonly of: number;
  next: number;
}

function asSplit(json: Json): SequenceSplit {
  const s = json as unknown as SequenceSplit;
  if (!Number.isInteger(s?.split) || !Number.isInteger(s?.of) || !Number.isInteger(s?.next)) {
    throw new BerthError(
      "RESTORE_FAILED",
      `sequence source: restored split ${JSON.stringify(json)} is not {split, of, next}`,
    );
  }
  return { split: s.split, of: s.of, next: s.next };
}

class SequenceReader implements SourceReader<number> {
  private cursor = 0;
  private emitted = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly splits: SequenceSplit[],
    private readonly count: number,
    private readonly rate: number,
    private readonly batchSize: number,
  ) {}

  private allowance(): number {
    if (this.rate <= 0) return this.batchSize;
    return Math.min(
      this.batchSize,
      Math.floor(((Date.now() - this.startedAt) * this.rate) / 1000) - this.emitted,
    );
  }

  async poll(): Promise<SourcePoll<number>> {
    const live = this.splits.filter((s) => s.next < this.count);
    if (live.length === 0) return { ended: true };
    let allowed = this.allowance();
    if (allowed <= 0) {
      await sleep(Math.min(100, Math.ceil(1000 / this.rate)));
      allowed = this.allowance();
      if (allowed <= 0) return { records: [] };
    }
    const records: SourceRecord<number>[] = [];
    while (records.length < allowed) {
      const open = this.splits.filter((s) => s.next < this.count);
      if (open.length === 0) break;
      const split = open[this.cursor++ % open.length] as SequenceSplit;
      records.push({ value: split.next });
      split.next += split.of;
    }
    this.emitted += records.length;
    return { records };
  }

  snapshotSplits(): Json[] {
    return this.splits.map((s) => ({ split: s.split, of: s.of, next: s.next }));
  }

  async close(): Promise<void> {}
}

export function sequenceSource(options: SequenceSourceOptions = {}): Source<number> {
  const count = options.count ?? Number.POSITIVE_INFINITY;
  if (!(count >= 0))
    throw new BerthError("CONFIG_INVALID", `sequence source: count ${options.count} must be ≥ 0`);
  return {
    kind: "sequence",
    async initialSplits(parallelism) {
      return Array.from({ length: parallelism }, (_, split) => ({ split, of: parallelism, next: split }));
    },
    async createReader(context, splits) {
      const rate = (options.ratePerSecond ?? 0) / context.parallelism;
      return new SequenceReader(splits.map(asSplit), count, rate, options.batchSize ?? 500);
    },
  };
}
