/** Options of the transactional local-file sink: one schema, defaults beside each field. */
import { z } from "zod";
import { BerthError } from "../errors.js";
import {
  type DeliveryGuarantee,
  deliveryGuaranteeOption,
  functionOption,
  parseOptions,
} from "../sink/sink-options.js";

export interface FileSinkOptions<T> {
  /** Output directory; created when missing. Every visible file in it is committed. */
  readonly directory: string;
  /** One line per record, without the newline. Default: `JSON.stringify` (JSON Lines). */
  readonly format?: (record: T) => string;
  /** Bytes buffered before a write to the in-progress file. Default 64 KiB. */
  readonly bufferBytes?: number;
  /**
   * Default `"exactly-once"`: a transaction's file becomes visible when the checkpoint holding
   * it completes. `"at-least-once"`: it becomes visible at the barrier (pre-commit), before its
   * checkpoint completes — sooner, but a restore from an earlier checkpoint writes its records
   * again.
   */
  readonly deliveryGuarantee?: DeliveryGuarantee;
}

const fileSinkOptions = z
  .object({
    directory: z.string().min(1),
    format: functionOption<(record: never) => string>().optional(),
    bufferBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    deliveryGuarantee: deliveryGuaranteeOption,
  })
  .strict();

export interface ResolvedFileSinkOptions<T> {
  readonly directory: string;
  readonly format: (record: T) => string;
  readonly bufferBytes: number;
  readonly deliveryGuarantee: DeliveryGuarantee;
}

export function resolveFileSinkOptions<T>(options: FileSinkOptions<T>): ResolvedFileSinkOptions<T> {
  const parsed = parseOptions(
    "file sink",
    fileSinkOptions,
    options,
    (message, cause) => new BerthError("CONFIG_INVALID", message, { cause }),
  );
  return {
    ...parsed,
    format: (parsed.format as ((record: T) => string) | undefined) ?? ((record: T) => JSON.stringify(record)),
  };
}
