/**
 * The bad-record policy of a sink (`badRecords` of `sinkTo`, ADR 0013): what the sink operator
 * does when its writer throws a {@link RecordRejectedError} for one record.
 *
 * - `fail` (default): the job fails — without restarting, since every restart would meet the
 *   same record again — naming the sink, the record and its position. Nothing after it is lost:
 *   restore from the latest checkpoint once the record or the sink is fixed (or the policy
 *   changed).
 * - `skip`: the record is dropped, logged with its position and the error, and counted.
 * - `dead-letter`: a {@link DeadLetter} (the record, the error, the position) goes to a second
 *   Berth sink, fed by this sink's subtasks through the same checkpoints — so it is as
 *   exactly-once as that sink — and counted.
 *
 * Every other error of `write` is a target failure and fails over as before: never swallowed.
 */
import { z } from "zod";
import { BerthError, errorMessage } from "../errors.js";
import { RecordRejectedError } from "../sink/record-rejected.js";
import type { Json, Sink, SinkLog } from "../sink/sink.js";
import { parseOptions } from "../sink/sink-options.js";
import type { Output } from "./operator.js";

/** Where a record stood when its sink rejected it: replaying from that checkpoint meets it again there. */
export interface RecordPosition {
  readonly subtask: number;
  /** The checkpoint the record came after (0: since the job's start). */
  readonly afterCheckpoint: number;
  /** The record's number among those this sink subtask received since that checkpoint, from 0. */
  readonly index: number;
}

/** What a dead-letter sink receives for each rejected record. */
export interface DeadLetter<T = unknown> {
  /** The uid of the sink that rejected the record. */
  readonly sink: string;
  readonly position: RecordPosition;
  readonly error: { readonly code: string; readonly message: string };
  /** The record as the sink received it. */
  readonly record: T;
}

export interface DeadLetterTarget<T = unknown> {
  /** A Berth sink (e.g. `fileSink` for JSON Lines, `kafkaSink` for a topic) that takes {@link DeadLetter}s. */
  readonly sink: Sink<DeadLetter<T>, Json>;
  /** Its operator uid. Default `<sink uid>-dead-letter`. */
  readonly uid?: string;
  /** Its sink prefix (see `SinkOptions.sinkPrefix`). Default: derived as for any sink. */
  readonly sinkPrefix?: string;
}

export type BadRecordsPolicy<T = unknown> =
  | { readonly policy: "fail" }
  | { readonly policy: "skip" }
  | { readonly policy: "dead-letter"; readonly deadLetter: DeadLetterTarget<T> };

const sinkValue = z.custom<Sink<DeadLetter, Json>>(
  (value) => typeof (value as { createWriter?: unknown } | null)?.createWriter === "function",
  { message: "must be a Berth sink (e.g. fileSink(…) or kafkaSink(…))" },
);

const badRecordsSchema = z
  .object({
    badRecords: z
      .discriminatedUnion("policy", [
        z.object({ policy: z.literal("fail") }).strict(),
        z.object({ policy: z.literal("skip") }).strict(),
        z
          .object({
            policy: z.literal("dead-letter"),
            deadLetter: z
              .object({
                sink: sinkValue,
                uid: z.string().min(1).optional(),
                sinkPrefix: z.string().optional(),
              })
              .strict(),
          })
          .strict(),
      ])
      .default({ policy: "fail" }),
  })
  .passthrough();

/** Checks the `badRecords` option of sink `uid` (default `{ policy: "fail" }`). */
export function parseBadRecords(uid: string, options: object): BadRecordsPolicy {
  return parseOptions(
    `sink "${uid}"`,
    badRecordsSchema,
    options,
    (message, cause) =>
      new BerthError(
        "CONFIG_INVALID",
        `${message} (badRecords policy is "fail", "skip" or "dead-letter" with deadLetter: { sink })`,
        { cause },
      ),
  ).badRecords as BadRecordsPolicy;
}

export function describePosition(position: RecordPosition): string {
  return `subtask ${position.subtask}, record ${position.index} after checkpoint ${position.afterCheckpoint}`;
}

/** A sink rejected a record and its policy is `fail`: the job fails without restarting into the same record. */
export class BadRecordError extends BerthError {
  static override readonly marker: string = "berth.core/BadRecordError";

  constructor(
    readonly uid: string,
    readonly position: RecordPosition,
    cause: RecordRejectedError<string>,
  ) {
    super(
      "BAD_RECORD",
      `sink "${uid}" rejected a record (${describePosition(position)}): ${cause.message}. Fix the record or the sink, or set badRecords to "skip" or "dead-letter" on sink "${uid}", then restore from the latest checkpoint`,
      { cause },
    );
  }
}

/** Whether `error`, or an error it was caused by, is a {@link BadRecordError}: no restart helps. */
export function isBadRecordFailure(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof BadRecordError) return true;
  return false;
}

export type BadRecordOutcome = "skipped" | "dead-lettered";

/** Applies a sink's policy to an error its writer threw for a record at `position`. */
export class BadRecordHandler {
  constructor(
    private readonly uid: string,
    private readonly policy: BadRecordsPolicy,
    private readonly log: SinkLog,
    private readonly counted: (outcome: BadRecordOutcome) => void,
  ) {}

  handle(error: unknown, record: unknown, position: RecordPosition, output: Output): void | Promise<void> {
    // A target failure is never a bad record: it fails over.
    if (!(error instanceof RecordRejectedError)) throw error;
    const rejected = error as RecordRejectedError<string>;
    switch (this.policy.policy) {
      case "fail":
        throw new BadRecordError(this.uid, position, rejected);
      case "skip":
        this.log.warn(
          `sink ${this.uid}: skipped a bad record (${describePosition(position)}): ${errorMessage(rejected)}`,
          {
            code: rejected.code,
          },
        );
        this.counted("skipped");
        return;
      case "dead-letter": {
        const letter: DeadLetter = {
          sink: this.uid,
          position,
          error: { code: rejected.code, message: rejected.message },
          record,
        };
        this.counted("dead-lettered");
        return output.emit(letter, undefined);
      }
    }
  }
}
