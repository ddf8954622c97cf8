/**
 * Embedded persistent state backend on SQLite (better-sqlite3): state lives on disk, so it
 * may be larger than the heap. Each operator subtask gets its own database file in a
 * working directory that is private to the running job and deleted on close. Its
 * checkpoints are incremental (unchanged key groups are referenced, not rewritten) and its
 * native savepoints are consistent copies of these databases (`VACUUM INTO`).
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Database from "better-sqlite3";
import type { Json } from "../sink/sink.js";
import { openSqlite } from "../sqlite.js";
import type { KeyGroupRange } from "./key-groups.js";
import type { KeyedStateStore, RawStateEntry, StateBackend, StateEntry } from "./state-backend.js";

interface Row {
  state: string;
  key_group: number;
  key: string;
  value: string;
}

const CREATE_TABLE =
  "CREATE TABLE IF NOT EXISTS state (state TEXT NOT NULL, key_group INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (key_group, state, key)) WITHOUT ROWID";
const SELECT_RANGE =
  "SELECT state, key_group, key, value FROM state WHERE key_group BETWEEN ? AND ? ORDER BY key_group, state, key";

function toEntry(row: Row): StateEntry {
  return { state: row.state, keyGroup: row.key_group, key: row.key, value: JSON.parse(row.value) as Json };
}

class SqliteKeyedStateStore implements KeyedStateStore {
  private readonly db: Database.Database;
  private readonly selectOne: Database.Statement<[string, number, string], { value: string }>;
  private readonly upsert: Database.Statement<[string, number, string, string]>;
  private readonly remove: Database.Statement<[string, number, string]>;
  private readonly selectState: Database.Statement<[string], Row>;
  private readonly selectAll: Database.Statement<[], Row>;
  private readonly selectRange: Database.Statement<[number, number], Row>;
  private changed = new Set<number>();

  constructor(private readonly file: string) {
    // State may be private: the file is created readable by its owner only.
    writeFileSync(file, "", { mode: 0o600, flag: "a" });
    this.db = openSqlite(file);
    // The checkpoint, not this file, is what survives a crash, so durability is not needed
    // here; only this connection uses the file, so it keeps its lock (4× faster writes).
    this.db.pragma("locking_mode = EXCLUSIVE");
    this.db.pragma("journal_mode = OFF");
    this.db.pragma("synchronous = OFF");
    this.db.exec(CREATE_TABLE);
    this.selectOne = this.db.prepare("SELECT value FROM state WHERE state = ? AND key_group = ? AND key = ?");
    this.upsert = this.db.prepare(
      "INSERT INTO state (state, key_group, key, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
    );
    this.remove = this.db.prepare("DELETE FROM state WHERE state = ? AND key_group = ? AND key = ?");
    this.selectState = this.db.prepare("SELECT * FROM state WHERE state = ? ORDER BY key_group, key");
    this.selectAll = this.db.prepare("SELECT * FROM state ORDER BY key_group, state, key");
    this.selectRange = this.db.prepare(SELECT_RANGE);
  }

  get(state: string, keyGroup: number, key: string): Json | undefined {
    const row = this.selectOne.get(state, keyGroup, key);
    return row ? (JSON.parse(row.value) as Json) : undefined;
  }

  put(state: string, keyGroup: number, key: string, value: Json): void {
    this.upsert.run(state, keyGroup, key, JSON.stringify(value));
    this.changed.add(keyGroup);
  }

  delete(state: string, keyGroup: number, key: string): void {
    if (this.remove.run(state, keyGroup, key).changes > 0) this.changed.add(keyGroup);
  }

  entriesOf(state: string): Iterable<StateEntry> {
    return this.selectState.all(state).map(toEntry);
  }

  snapshot(): StateEntry[] {
    return this.selectAll.all().map(toEntry);
  }

  *rawEntries(range: KeyGroupRange): Iterable<RawStateEntry> {
    for (const row of this.selectRange.iterate(range.start, range.end))
      yield { state: row.state, keyGroup: row.key_group, key: row.key, value: row.value };
  }

  takeChangedKeyGroups(): Set<number> {
    const changed = this.changed;
    this.changed = new Set();
    return changed;
  }

  load(entries: Iterable<StateEntry>): void {
    this.db.transaction(() => {
      for (const e of entries) this.put(e.state, e.keyGroup, e.key, e.value);
    })();
  }

  /** Copies every row of key groups `range` from a native copy (opened read-only, never modified). */
  loadNative(path: string, range: KeyGroupRange): void {
    const source = openSqlite(path, { readonly: true, fileMustExist: true });
    try {
      const rows = source.prepare<[number, number], Row>(SELECT_RANGE);
      this.db.transaction(() => {
        for (const row of rows.iterate(range.start, range.end)) {
          this.upsert.run(row.state, row.key_group, row.key, row.value);
          this.changed.add(row.key_group);
        }
      })();
    } finally {
      source.close();
    }
  }

  /** After a whole-file restore: every key group with state counts as changed. */
  markAllChanged(): void {
    for (const row of this.db
      .prepare<[], { key_group: number }>("SELECT DISTINCT key_group FROM state")
      .all())
      this.changed.add(row.key_group);
  }

  copyNative(path: string): void {
    // VACUUM INTO writes a consistent, compact copy; the target must be empty. Creating it
    // first keeps it readable by its owner only.
    writeFileSync(path, "", { mode: 0o600, flag: "wx" });
    this.db.prepare("VACUUM INTO ?").run(path);
  }

  close(): void {
    this.db.close();
    rmSync(this.file, { force: true });
  }
}

/** A SQLite backend keeping its working files under `directory`. */
export function sqliteStateBackend(directory: string): StateBackend {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const fileOf = (name: string) => join(directory, `${name.replace(/[^\w.-]/g, "_")}.db`);
  return {
    kind: "sqlite",
    createStore: (name) => new SqliteKeyedStateStore(fileOf(name)),
    restoreNative: (name, files, range) => {
      const file = fileOf(name);
      const only = files.length === 1 ? files[0] : undefined;
      if (only && only.keyGroups.start === range.start && only.keyGroups.end === range.end) {
        // Same key groups as when it was taken: the copy becomes the working database.
        rmSync(file, { force: true });
        copyFileSync(only.path, file);
        const store = new SqliteKeyedStateStore(file);
        store.markAllChanged();
        return store;
      }
      const store = new SqliteKeyedStateStore(file);
      for (const f of files) store.loadNative(f.path, range);
      return store;
    },
  };
}
