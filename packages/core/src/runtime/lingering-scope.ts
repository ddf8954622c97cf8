/**
 * Computes the scope of lingering transaction cleanup (`LingeringScope`, part of the sink
 * contract) once per start, from the restored state: which names under the sink prefix are
 * lingering, and which subtasks may hold them — this run's, and those of the run that wrote
 * the restored state, which a parallelism decrease leaves without a writer.
 */
import type { LingeringScope } from "../sink/lingering-scope.js";
import type { SinkNames } from "../sink/names.js";

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
