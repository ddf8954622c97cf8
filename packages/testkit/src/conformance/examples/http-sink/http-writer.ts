/**
 * The HTTP sink's writer. The endpoint has no transactions, so the writer keeps each
 * transaction's records and pre-commit hands them over as the committable: the checkpoint
 * holds them (durable), the endpoint has not seen them (invisible).
 */
import type { SinkWriter, SinkWriterContext } from "@berth/core/connector";
import type { HttpCommittable } from "./http-committable.js";

export class HttpWriter implements SinkWriter<{ seq: number }, HttpCommittable> {
  private batch: { key: string; records: { seq: number }[] } | undefined;

  constructor(
    private readonly context: SinkWriterContext,
    private readonly url: string,
  ) {}

  write(record: { seq: number }): void {
    // The transaction opens lazily, with the id of the checkpoint that will close it.
    if (!this.batch) {
      const { names, subtask, attemptId } = this.context;
      this.batch = {
        key: names.attempt({ subtask, attemptId, checkpointId: this.context.currentCheckpointId() }),
        records: [],
      };
    }
    this.batch.records.push(record);
  }

  // Nothing to push anywhere: the records become durable as the committable, in the checkpoint.
  async flush(): Promise<void> {}

  async prepareCommit(): Promise<HttpCommittable[]> {
    const batch = this.batch;
    this.batch = undefined;
    return batch ? [{ url: this.url, ...batch }] : [];
  }

  async close(): Promise<void> {}
}
