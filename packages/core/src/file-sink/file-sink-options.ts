/** Options of the transactional local-file sink. */
import { BerthError } from "../errors.js";

export interface FileSinkOptions<T> {
  /** Output directory; created when missing. Every visible file in it is committed. */
  readonly directory: string;
  /** One line per record, without the newline. Default: `JSON.stringify` (JSON Lines). */
  readonly format?: (record: T) => string;
  /** Bytes buffered before a write to the in-progress file. Default 64 KiB. */
  readonly bufferBytes?: number;
}

export interface ResolvedFileSinkOptions<T> {
  readonly directory: string;
  readonly format: (record: T) => string;
  readonly bufferBytes: number;
}

export function resolveFileSinkOptions<T>(options: FileSinkOptions<T>): ResolvedFileSinkOptions<T> {
  if (typeof options.directory !== "string" || options.directory.length === 0) {
    throw new BerthError("CONFIG_INVALID", "file sink: `directory` must be a non-empty path");
  }
  const bufferBytes = options.bufferBytes ?? 64 * 1024;
  if (!(bufferBytes > 0))
    throw new BerthError("CONFIG_INVALID", `file sink: bufferBytes ${bufferBytes} must be > 0`);
  return {
    directory: options.directory,
    format: options.format ?? ((record: T) => JSON.stringify(record)),
    bufferBytes,
  };
}
