/**
 * Bounded sources over an iterable or the lines of a file: one split whose position is the
 * number of records already emitted. Restores skip that many; input ends after the last.
 */
import { readFileSync } from "node:fs";
import { BerthError } from "../errors.js";
import type { Json } from "../sink/sink.js";
import type { Source, SourcePoll, SourceReader, SourceRecord } from "./source.js";

class IterableReader<T> implements SourceReader<T> {
  private readonly iterator: Iterator<T> | undefined;

  constructor(
    iterable: Iterable<T> | undefined,
    private position: number,
    private readonly batchSize: number,
  ) {
    this.iterator = iterable?.[Symbol.iterator]();
    for (let i = 0; i < position && this.iterator; i++) {
      if (this.iterator.next().done) break;
    }
  }

  async poll(): Promise<SourcePoll<T>> {
    if (!this.iterator) return { ended: true };
    const records: SourceRecord<T>[] = [];
    while (records.length < this.batchSize) {
      const next = this.iterator.next();
      if (next.done) break;
      records.push({ value: next.value });
    }
    if (records.length === 0) return { ended: true };
    this.position += records.length;
    return { records };
  }

  snapshotSplits(): Json[] {
    return this.iterator ? [{ position: this.position }] : [];
  }

  async close(): Promise<void> {}
}

/** A bounded source over the values `values()` yields (called once per start). */
export function iterableSource<T>(
  values: () => Iterable<T>,
  options: { batchSize?: number } = {},
): Source<T> {
  return {
    kind: "iterable",
    async initialSplits() {
      return [{ position: 0 }];
    },
    async createReader(_context, splits) {
      const split = splits[0] as { position?: unknown } | undefined;
      if (split !== undefined && !Number.isInteger(split.position)) {
        throw new BerthError(
          "RESTORE_FAILED",
          `iterable source: restored split ${JSON.stringify(split)} is not {position}`,
        );
      }
      return new IterableReader(
        split ? values() : undefined,
        (split?.position as number) ?? 0,
        options.batchSize ?? 500,
      );
    },
  };
}

/** A bounded source over the lines of a text file (empty lines skipped). */
export function fileLinesSource(path: string): Source<string> {
  const source = iterableSource(() =>
    readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line.length > 0),
  );
  return { ...source, kind: "file-lines" };
}
