/**
 * Writes records into the current transaction's hidden in-progress file; pre-commit closes it
 * (exactly once: hands it to the committer; at least once: makes it visible at once).
 */
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../errors.js";
import { fsyncDirectory } from "../fs/directories.js";
import { previewRecord, RecordRejectedError } from "../sink/record-rejected.js";
import type { SinkWriter, SinkWriterContext } from "../sink/sink.js";
import { type FileCommittable, fileNames } from "./file-committable.js";
import { publishFile } from "./file-committer.js";
import type { ResolvedFileSinkOptions } from "./file-sink-options.js";

const LINE_BREAK = /[\r\n]/;

// A module function, not a closure in formatLine: that ran once per record on the hot path.
function rejectRecord(record: unknown, detail: string, cause?: unknown): never {
  throw new RecordRejectedError(
    "RECORD_REJECTED",
    `file sink: the format ${detail} for record ${previewRecord(record)}; fix the format or filter such records out before the sink`,
    cause === undefined ? undefined : { cause },
  );
}

interface OpenTransaction {
  readonly handle: FileHandle;
  readonly names: { pending: string; final: string };
  records: number;
}

export class FileWriter<T> implements SinkWriter<T, FileCommittable> {
  private transaction: OpenTransaction | undefined;
  private opening: Promise<OpenTransaction> | undefined;
  private buffer: string[] = [];
  private bufferedBytes = 0;

  constructor(
    private readonly context: SinkWriterContext,
    private readonly options: ResolvedFileSinkOptions<T>,
  ) {}

  private open(): Promise<OpenTransaction> {
    this.opening ??= (async () => {
      const { names: sinkNames, subtask, attemptId } = this.context;
      const names = fileNames(
        sinkNames.attempt({ subtask, attemptId, checkpointId: this.context.currentCheckpointId() }),
      );
      const handle = await open(join(this.options.directory, names.pending), "w", 0o644);
      this.transaction = { handle, names, records: 0 };
      return this.transaction;
    })();
    return this.opening;
  }

  write(record: T): void | Promise<void> {
    const line = `${this.formatLine(record)}\n`;
    this.buffer.push(line);
    this.bufferedBytes += line.length;
    if (!this.transaction || this.bufferedBytes >= this.options.bufferBytes) return this.writeBuffer();
  }

  /** The record's line, or a bad record — before anything of it is buffered, so the writer goes on. */
  private formatLine(record: T): string {
    let line: unknown;
    try {
      line = this.options.format(record);
    } catch (error) {
      return rejectRecord(record, `threw (${errorMessage(error)})`, error);
    }
    if (typeof line !== "string") return rejectRecord(record, `returned ${typeof line}, not a string`);
    // One line per record: a line break would split it into lines no reader can tell apart.
    if (LINE_BREAK.test(line)) return rejectRecord(record, "returned a line break");
    return line;
  }

  private async writeBuffer(): Promise<void> {
    if (this.buffer.length === 0) return;
    const transaction = await this.open();
    const lines = this.buffer;
    this.buffer = [];
    this.bufferedBytes = 0;
    transaction.records += lines.length;
    await transaction.handle.write(lines.join(""));
  }

  async flush(): Promise<void> {
    await this.writeBuffer();
    const transaction = this.transaction;
    if (!transaction) return;
    await transaction.handle.sync();
    // The checkpoint will refer to this file by name: a power loss must not forget the name either.
    await fsyncDirectory(this.options.directory);
  }

  async prepareCommit(): Promise<FileCommittable[]> {
    const transaction = this.transaction;
    if (!transaction) return [];
    this.transaction = undefined;
    this.opening = undefined;
    await transaction.handle.close();
    const committable = {
      directory: this.options.directory,
      ...transaction.names,
      records: transaction.records,
    };
    if (this.options.deliveryGuarantee === "exactly-once") return [committable];
    // At least once: visible now, before the checkpoint completes; a restore from an earlier
    // checkpoint writes these records again.
    await publishFile(committable);
    return [];
  }

  async close(): Promise<void> {
    // An open transaction never reached a checkpoint; the next start's lingering cleanup deletes it.
    await this.transaction?.handle.close();
    this.transaction = undefined;
  }
}
