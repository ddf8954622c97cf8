/**
 * Key groups: keys hash into a fixed number of groups (the job's max parallelism), and
 * each subtask owns a contiguous range of groups, as in Flink. State moves between
 * subtasks by whole groups, so a restore may change an operator's parallelism.
 */
import { crc32 } from "node:zlib";

export const DEFAULT_MAX_PARALLELISM = 128;

export interface KeyGroupRange {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

/** The canonical string form of a key; keys are compared and hashed by it. */
export function keyString(key: unknown): string {
  return typeof key === "string" ? key : JSON.stringify(key);
}

export function keyGroupOf(key: string, maxParallelism: number): number {
  return crc32(key) % maxParallelism;
}

export function subtaskOfKeyGroup(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

export function keyGroupRange(subtask: number, maxParallelism: number, parallelism: number): KeyGroupRange {
  return {
    start: Math.ceil((subtask * maxParallelism) / parallelism),
    end: Math.ceil(((subtask + 1) * maxParallelism) / parallelism) - 1,
  };
}

export function inRange(keyGroup: number, range: KeyGroupRange): boolean {
  return keyGroup >= range.start && keyGroup <= range.end;
}
