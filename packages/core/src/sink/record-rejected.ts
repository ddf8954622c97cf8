/**
 * The one error a writer throws for a *bad record* — a record it cannot take (its format or
 * serializer failed, it is too large for the target) — as opposed to a failure of the target.
 * The job's bad-record policy (`badRecords` of `sinkTo`: fail, skip or dead-letter) applies
 * only to it; any other error of `write` is a target failure and fails over as always.
 *
 * Throw it only when nothing of the record entered the transaction and the writer can take
 * the next record, and let its message name the record (a short preview) and what is wrong.
 * A package extends it with its own codes, e.g. `KafkaRecordRejectedError`.
 */
import type { BerthErrorCode } from "../errors.js";
import { TypedError } from "../errors.js";

export class RecordRejectedError<Code extends string = BerthErrorCode> extends TypedError<Code> {
  static override readonly marker: string = "berth.core/RecordRejectedError";
}

/** A short, safe preview of a record for an error message (at most 120 characters). */
export function previewRecord(record: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(record) ?? String(record);
  } catch {
    text = String(record);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
