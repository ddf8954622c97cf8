/**
 * The scope of lingering transaction cleanup (DESIGN.md, sink contract rule 5), computed by
 * the core once per start and handed to `abortLingering` (`RecoverContext.lingering`): which
 * names under the sink prefix are lingering, and which subtasks may hold them — this run's,
 * and those of the run that wrote the restored state, which a parallelism decrease leaves
 * without a writer.
 */
import type { SinkNames } from "./names.js";

export interface LingeringScope {
  readonly names: SinkNames;
  /** Subtasks that may hold transactions under the prefix: 0 … subtasks - 1. */
  readonly subtasks: number;
  /** Subtasks of the restored run that this run no longer has (after a parallelism decrease). */
  readonly vanishedSubtasks: readonly number[];
  /**
   * Whether the target's transaction of this name is lingering: an attempt or pooled name of
   * this prefix (never of another prefix that starts with it) that the restored state does not
   * hold. Pooled names are reused, so an open transaction on one is lingering once the restored
   * committables are committed; an attempt name is unique, so a restored one is kept.
   */
  isLingering(name: string): boolean;
}
