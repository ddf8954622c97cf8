/**
 * The bytes of one object not yet cut into a part. They stay in memory while the writer's
 * {@link MemoryBudget} allows; beyond it the buffer spools to a file of its own in the spool
 * folder and the part is uploaded from that file, so a writer's memory stays flat however large
 * its parts and however many objects it has open.
 */
import { once } from "node:events";
import { createWriteStream, mkdtempSync, type WriteStream } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { S3SinkError } from "../errors.js";

/** A part's body: bytes in memory, or a spool file of `size` bytes. */
export type PartBody =
  | { readonly bytes: Buffer; readonly size: number }
  | { readonly path: string; readonly size: number };

/** The bytes a writer holds in memory — buffered, or cut into parts still uploading — against its bound. */
export class MemoryBudget {
  /** Bytes held now. */
  held = 0;
  /** The most bytes ever held: what a test checks against the bound. */
  peak = 0;
  private folder: string | undefined;
  private files = 0;

  constructor(
    readonly limitBytes: number,
    /** Where spool files go; a folder of this writer's own is made inside it at the first spill. */
    private readonly spoolDirectory: string,
  ) {}

  fits(bytes: number): boolean {
    return this.held + bytes <= this.limitBytes;
  }

  take(bytes: number): void {
    this.held += bytes;
    if (this.held > this.peak) this.peak = this.held;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }

  /** A new spool file's path in this writer's folder (made once, synchronously: appends are synchronous). */
  spoolFile(): string {
    this.folder ??= mkdtempSync(join(this.spoolDirectory, "berth-s3-"));
    return join(this.folder, `${this.files++}.part`);
  }

  /** Removes this writer's spool folder, with whatever a failed or closed writer left in it. */
  async removeSpool(): Promise<void> {
    if (this.folder) await rm(this.folder, { recursive: true, force: true });
  }
}

export class PartBuffer {
  private chunks: Buffer[] = [];
  private memoryBytes = 0;
  private spool: { readonly path: string; stream: WriteStream; bytes: number } | undefined;

  constructor(private readonly budget: MemoryBudget) {}

  /** Bytes buffered, in memory and spooled. */
  get size(): number {
    return this.memoryBytes + (this.spool?.bytes ?? 0);
  }

  /** Buffers `bytes`: in memory while the budget allows, else in the spool file (moving what memory held there first). */
  append(bytes: Buffer): void {
    if (!this.spool && this.budget.fits(bytes.length)) {
      this.chunks.push(bytes);
      this.memoryBytes += bytes.length;
      this.budget.take(bytes.length);
      return;
    }
    if (!this.spool) {
      const path = this.budget.spoolFile();
      this.spool = { path, stream: spoolStream(path, "w"), bytes: 0 };
      for (const chunk of this.chunks) this.writeToSpool(chunk);
      this.budget.release(this.memoryBytes);
      this.chunks = [];
      this.memoryBytes = 0;
    }
    this.writeToSpool(bytes);
  }

  /** Resolves once the spool file took what was appended; await it after appending (backpressure). */
  drained(): Promise<unknown> | undefined {
    const stream = this.spool?.stream;
    return stream?.writableNeedDrain ? once(stream, "drain") : undefined;
  }

  /** Hands the buffer over as a part body and starts empty; a body in memory stays charged until the writer releases it. */
  async cut(): Promise<PartBody> {
    const spool = this.spool;
    if (!spool) {
      const bytes = Buffer.concat(this.chunks);
      this.chunks = [];
      this.memoryBytes = 0;
      return { bytes, size: bytes.length };
    }
    this.spool = undefined;
    await closeStream(spool.stream);
    return { path: spool.path, size: spool.bytes };
  }

  /** The buffered bytes, read back (the tail a checkpoint keeps, under 5 MiB); the buffer keeps them too. */
  async contents(): Promise<Buffer> {
    const spool = this.spool;
    if (!spool) return Buffer.concat(this.chunks);
    await closeStream(spool.stream);
    const bytes = await readFile(spool.path);
    spool.stream = spoolStream(spool.path, "a");
    return bytes;
  }

  /** Drops the buffer, its spool file too. */
  async discard(): Promise<void> {
    this.budget.release(this.memoryBytes);
    this.chunks = [];
    this.memoryBytes = 0;
    const spool = this.spool;
    this.spool = undefined;
    if (spool) {
      spool.stream.destroy();
      await rm(spool.path, { force: true });
    }
  }

  private writeToSpool(bytes: Buffer): void {
    const spool = this.spool as NonNullable<typeof this.spool>;
    spool.stream.write(bytes);
    spool.bytes += bytes.length;
  }
}

/** A spool file's stream; a failure (a full disk) is kept and thrown when the file is next closed. */
function spoolStream(path: string, flags: "w" | "a"): WriteStream {
  const stream = createWriteStream(path, { flags });
  stream.on("error", (error) => {
    failures.set(stream, error);
  });
  return stream;
}

const failures = new WeakMap<WriteStream, Error>();

async function closeStream(stream: WriteStream): Promise<void> {
  if (!stream.closed) {
    const closed = once(stream, "close");
    stream.end();
    await closed.catch(() => undefined);
  }
  const failure = failures.get(stream);
  if (failure)
    throw new S3SinkError(
      "S3_SPOOL_FAILED",
      `s3 sink: writing the spool file ${stream.path} failed (${failure.message}); free space there or set spoolDirectory to another folder`,
      { cause: failure },
    );
}
