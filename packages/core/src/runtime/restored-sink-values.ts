/**
 * Runs a sink's codecs over what a restore point stored for it (DESIGN.md, sink contract rule
 * 8): every committable — confirmed ones too, so an unreadable savepoint is refused whole —
 * and every writer state, once, before anything is committed or aborted. Everything after
 * (recommit, lingering cleanup, the writers) gets the parsed values.
 */
import type { StoredCommittable } from "../checkpoint/metadata.js";
import { SinkStateUnreadableError } from "../checkpoint/restore-errors.js";
import type { RestorePoint } from "../checkpoint/restore-point.js";
import { BerthError } from "../errors.js";
import type { Json, Sink } from "../sink/sink.js";

/** The version of writer state stored before versioned codecs recorded one. */
const UNRECORDED_WRITER_STATE_VERSION = 1;

export interface RestoredSinkValues {
  /** Every stored committable, its `committable` parsed; confirmed ones included. */
  readonly committables: readonly StoredCommittable[];
  /** Parsed writer states in subtask order (a subtask without state contributes none). */
  readonly writerStates: readonly Json[];
}

export function parseRestoredSinkValues(
  sink: Sink<unknown, Json, Json>,
  uid: string,
  point: RestorePoint | undefined,
): RestoredSinkValues {
  if (!point) return { committables: [], writerStates: [] };
  const stored = point.metadata.sinks.find((s) => s.uid === uid);
  const parse = <V extends Json>(
    what: "committable" | "writer state",
    subtask: number,
    version: number,
    run: () => V,
  ): V => {
    try {
      return run();
    } catch (error) {
      throw new SinkStateUnreadableError(point.directory, { uid, subtask, what, version }, error);
    }
  };
  const committableVersion = stored?.committableVersion ?? sink.committable.version;
  const committables = (stored?.committables ?? []).map((c) => ({
    ...c,
    committable: parse("committable", c.subtask, committableVersion, () =>
      sink.committable.parse(committableVersion, c.committable as Json),
    ),
  }));
  const writerStateVersion = stored?.writerStateVersion ?? UNRECORDED_WRITER_STATE_VERSION;
  const writerStates: Json[] = [];
  for (const file of [...(point.states.get(uid) ?? [])].sort((a, b) => a.subtask - b.subtask)) {
    for (const state of file.operatorState as Json[]) {
      const codec = sink.writerState;
      writerStates.push(
        parse("writer state", file.subtask, writerStateVersion, () => {
          if (!codec)
            throw new BerthError(
              "RESTORE_FAILED",
              `the sink declares no writerState codec, so it cannot take over writer state`,
            );
          return codec.parse(writerStateVersion, state);
        }),
      );
    }
  }
  return { committables, writerStates };
}
