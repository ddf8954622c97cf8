/**
 * Keyed state backends. One store per keyed operator subtask holds `(state name, key group,
 * key) → value`. Reads and writes are synchronous (both backends answer at once), and a
 * snapshot is a consistent, ordered list of entries taken at the barrier.
 */
import type { Json } from "../sink/sink.js";

export type StateBackendKind = "memory" | "sqlite";

export interface StateEntry {
  readonly state: string;
  readonly keyGroup: number;
  readonly key: string;
  readonly value: Json;
}

export interface KeyedStateStore {
  get(state: string, keyGroup: number, key: string): Json | undefined;
  put(state: string, keyGroup: number, key: string, value: Json): void;
  delete(state: string, keyGroup: number, key: string): void;
  /** Every entry of one state, in key group then key order. */
  entriesOf(state: string): Iterable<StateEntry>;
  /** A point-in-time copy of every entry, ordered by key group, state and key. */
  snapshot(): StateEntry[];
  /** Loads entries (a restore); only called on an empty store. */
  load(entries: Iterable<StateEntry>): void;
  close(): void;
}

export interface StateBackend {
  readonly kind: StateBackendKind;
  /** A new, empty store for one operator subtask. */
  createStore(name: string): KeyedStateStore;
}
