/**
 * How a sink's stored values — its committables and its writer state — are versioned
 * (DESIGN.md, sink contract rule 8). The core stores the codec's `version` beside every value
 * it writes into a checkpoint, and at restore runs `parse` once per stored value, before
 * anything is committed or aborted: committers, writers and `abortLingering` only ever see
 * values `parse` returned. A value `parse` refuses (by throwing) is a restore error naming the
 * savepoint, the sink uid and the subtask.
 */
import type { Json } from "./sink.js";

export interface VersionedCodec<V extends Json> {
  /** Version of the current shape; bump it whenever the shape changes, and teach `parse` the old one. */
  readonly version: number;
  /**
   * Turns a value stored under `version` into the current shape, checking every field; throws
   * (a typed error saying what is wrong) for a value it cannot read or a version it does not know.
   */
  parse(version: number, stored: Json): V;
}
