/** Heap state backend: fastest; state must fit in memory. Its checkpoints are full. */
import type { Json } from "../sink/sink.js";
import { inRange, type KeyGroupRange } from "./key-groups.js";
import type { KeyedStateStore, RawStateEntry, StateBackend, StateEntry } from "./state-backend.js";

function compareEntries(a: StateEntry, b: StateEntry): number {
  return a.keyGroup - b.keyGroup || cmp(a.state, b.state) || cmp(a.key, b.key);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class MemoryKeyedStateStore implements KeyedStateStore {
  /** state name → "keyGroup\u0000key" → entry */
  private readonly states = new Map<string, Map<string, StateEntry>>();
  private changed = new Set<number>();

  private table(state: string): Map<string, StateEntry> {
    let table = this.states.get(state);
    if (!table) {
      table = new Map();
      this.states.set(state, table);
    }
    return table;
  }

  get(state: string, keyGroup: number, key: string): Json | undefined {
    return this.states.get(state)?.get(`${keyGroup}\u0000${key}`)?.value;
  }

  put(state: string, keyGroup: number, key: string, value: Json): void {
    this.table(state).set(`${keyGroup}\u0000${key}`, { state, keyGroup, key, value });
    this.changed.add(keyGroup);
  }

  delete(state: string, keyGroup: number, key: string): void {
    if (this.states.get(state)?.delete(`${keyGroup}\u0000${key}`)) this.changed.add(keyGroup);
  }

  entriesOf(state: string): Iterable<StateEntry> {
    return [...(this.states.get(state)?.values() ?? [])].sort(compareEntries);
  }

  snapshot(): StateEntry[] {
    const all: StateEntry[] = [];
    for (const table of this.states.values()) {
      // Values are replaced, never mutated in place, so copying references is a snapshot.
      for (const entry of table.values()) all.push(entry);
    }
    return all.sort(compareEntries);
  }

  rawEntries(range: KeyGroupRange): RawStateEntry[] {
    return this.snapshot()
      .filter((e) => inRange(e.keyGroup, range))
      .map((e) => ({ state: e.state, keyGroup: e.keyGroup, key: e.key, value: JSON.stringify(e.value) }));
  }

  takeChangedKeyGroups(): Set<number> {
    const changed = this.changed;
    this.changed = new Set();
    return changed;
  }

  load(entries: Iterable<StateEntry>): void {
    for (const e of entries) this.put(e.state, e.keyGroup, e.key, e.value);
  }

  close(): void {
    this.states.clear();
  }
}

export const memoryStateBackend: StateBackend = {
  kind: "memory",
  createStore: () => new MemoryKeyedStateStore(),
};
