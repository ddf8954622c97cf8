/**
 * Keyed state backends. One store per keyed operator subtask holds `(state name, key group,
 * key) → value`. Reads and writes are synchronous (both backends answer at once), and a
 * snapshot is a consistent, ordered list of entries taken at the barrier.
 */
import type { Json } from "../sink/sink.js";
import type { KeyGroupRange } from "./key-groups.js";

export type StateBackendKind = "memory" | "sqlite";

export interface StateEntry {
  readonly state: string;
  readonly keyGroup: number;
  readonly key: string;
  readonly value: Json;
}

/** An entry with its value as JSON text, as checkpoints encode it. */
export interface RawStateEntry {
  readonly state: string;
  readonly keyGroup: number;
  readonly key: string;
  /** JSON text of the value. */
  readonly value: string;
}

export interface KeyedStateStore {
  get(state: string, keyGroup: number, key: string): Json | undefined;
  put(state: string, keyGroup: number, key: string, value: Json): void;
  delete(state: string, keyGroup: number, key: string): void;
  /** Every entry of one state, in key group then key order. */
  entriesOf(state: string): Iterable<StateEntry>;
  /** A point-in-time copy of every entry, ordered by key group, state and key. */
  snapshot(): StateEntry[];
  /** Entries of key groups `range` with values as JSON text, ordered by key group, state and key. */
  rawEntries(range: KeyGroupRange): Iterable<RawStateEntry>;
  /** Key groups written, deleted or loaded since the last call; the set starts afresh. */
  takeChangedKeyGroups(): Set<number>;
  /** Loads entries (a restore); only called on an empty store. */
  load(entries: Iterable<StateEntry>): void;
  /**
   * Native snapshot (sqlite): writes a consistent copy of the store's own database to
   * `path`, an empty file. Absent when the backend has no native form.
   */
  copyNative?(path: string): void;
  close(): void;
}

export interface StateBackend {
  readonly kind: StateBackendKind;
  /** A new, empty store for one operator subtask. */
  createStore(name: string): KeyedStateStore;
  /**
   * A store restored from native copies (see {@link KeyedStateStore.copyNative}) holding
   * the entries of `range`. Each file's own key group range is given to pick a fast path.
   */
  restoreNative?(
    name: string,
    files: readonly { path: string; keyGroups: KeyGroupRange }[],
    range: KeyGroupRange,
  ): KeyedStateStore;
}
