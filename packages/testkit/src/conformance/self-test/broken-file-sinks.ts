/**
 * Deliberately broken variants of the file sink, each breaking one promise of the sink
 * contract, for the kit's test of itself: the kit must fail every one of them and say
 * which records it lost or duplicated. Never use these anywhere else.
 */
import { randomUUID } from "node:crypto";
import { copyFile, mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { type FileCommittable, fileSink } from "@berth/core";
import { CommitOutcomes, type Committer, type Sink, type SinkWriter } from "@berth/core/connector";
import fileSinkConformance, { type FileTarget } from "../file-sink/file-sink.conformance.js";
import type { ConformanceRecord, SinkConformanceFactory } from "../sink-factory.js";

type FileSink = Sink<ConformanceRecord, FileCommittable>;
type FileWriter = SinkWriter<ConformanceRecord, FileCommittable>;

/** `sink` with some of its members replaced. */
function patch(sink: FileSink, members: Partial<FileSink>): FileSink {
  return new Proxy(sink, {
    get(target, property) {
      if (property in members) return members[property as keyof FileSink];
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function patchWriter(writer: FileWriter, prepareCommit: FileWriter["prepareCommit"]): FileWriter {
  return {
    write: (record) => writer.write(record),
    flush: (endOfInput) => writer.flush(endOfInput),
    prepareCommit,
    close: () => writer.close(),
  };
}

function variant(broken: (target: FileTarget) => FileSink): SinkConformanceFactory<FileTarget> {
  return { ...fileSinkConformance, createSink: broken };
}

/** Commit copies the pending file to a new visible file and keeps it: a recommit writes it again. */
export const nonIdempotentCommit = variant((target) => {
  const sink = fileSink<ConformanceRecord>({ directory: target.directory });
  const committer: Committer<FileCommittable> = {
    async commit(committable) {
      const directory = committable.directory ?? target.directory;
      const copy = committable.final.replace(/\.jsonl$/, `-${randomUUID().slice(0, 8)}.jsonl`);
      await copyFile(join(directory, committable.pending), join(directory, copy));
      return CommitOutcomes.committed;
    },
    async close() {},
  };
  return patch(sink, {
    async createCommitter() {
      await mkdir(target.directory, { recursive: true });
      return committer;
    },
  });
});

/** Every second transaction with records is pre-committed but its committable is dropped. */
export const droppedCommittable = variant((target) => {
  const sink = fileSink<ConformanceRecord>({ directory: target.directory });
  let transactions = 0;
  return patch(sink, {
    async createWriter(context, state) {
      const writer = await sink.createWriter(context, state);
      return patchWriter(writer, async () => {
        const committables = await writer.prepareCommit();
        if (committables.length > 0 && ++transactions % 2 === 0) return [];
        return committables;
      });
    },
  });
});

/** Makes the data visible at pre-commit, before its checkpoint completes (not transactional). */
export const visibleAtPreCommit = variant((target) => {
  const sink = fileSink<ConformanceRecord>({ directory: target.directory });
  return patch(sink, {
    async createWriter(context, state) {
      const writer = await sink.createWriter(context, state);
      return patchWriter(writer, async () => {
        const committables = await writer.prepareCommit();
        for (const c of committables) {
          const directory = c.directory ?? target.directory;
          await rename(join(directory, c.pending), join(directory, c.final));
        }
        return committables;
      });
    },
  });
});

/** Never aborts lingering transactions at start. */
export const noLingeringCleanup = variant((target) =>
  patch(fileSink<ConformanceRecord>({ directory: target.directory }), { abortLingering: async () => {} }),
);

/** The real file sink with a private "instance" whose restart only counts (tests the hook's plumbing). */
export const withPrivateTarget: SinkConformanceFactory<FileTarget> = {
  ...fileSinkConformance,
  async startPrivateTarget(context) {
    const target = await fileSinkConformance.createTarget(context);
    return {
      target,
      async restart() {
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
      async stop() {},
    };
  },
};
