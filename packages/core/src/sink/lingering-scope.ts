/**
 * The scope of lingering transaction cleanup (DESIGN.md, sink contract rule 5), computed by
 * the core once per start and handed to `abortLingering`: which names under the sink prefix
 * are lingering, and which subtasks may hold them — this run's, and those of the run that
 * wrote the restored state, which a parallelism decrease leaves without a writer.
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

export interface LingeringScopeInput {
  readonly names: SinkNames;
  /** Parallelism of this run's sink. */
  readonly parallelism: number;
  /** Parallelism of the sink in the restored checkpoint or savepoint (0 for a fresh start). */
  readonly restoredParallelism: number;
  /** Subtasks of the restored committables (committables of subtasks that no longer exist included). */
  readonly restoredSubtasks: readonly number[];
  /** Attempt names the restored committables prove. */
  readonly restoredNames: readonly string[];
}

export function lingeringScope(input: LingeringScopeInput): LingeringScope {
  const { names } = input;
  const subtasks = Math.max(
    input.parallelism,
    input.restoredParallelism,
    ...input.restoredSubtasks.map((s) => s + 1),
  );
  const restored = new Set(input.restoredNames);
  return {
    names,
    subtasks,
    vanishedSubtasks: Array.from({ length: subtasks - input.parallelism }, (_, i) => input.parallelism + i),
    isLingering: (name) =>
      names.parsePooled(name) !== undefined ||
      (names.parseAttempt(name) !== undefined && !restored.has(name)),
  };
}
