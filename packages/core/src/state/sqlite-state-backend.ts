/**
 * Embedded persistent state backend on SQLite (better-sqlite3): state lives on disk, so it
 * may be larger than the heap. Each operator subtask gets its own database file in a
 * working directory that is private to the running job and deleted on close.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Json } from "../sink/sink.js";
import type { KeyedStateStore, StateBackend, StateEntry } from "./state-backend.js";

interface Row {
  state: string;
  key_group: number;
  key: string;
  value: string;
}

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

  constructor(private readonly file: string) {
    this.db = new Database(file);
    // The checkpoint, not this file, is what survives a crash, so durability is not needed here.
    this.db.pragma("journal_mode = OFF");
    this.db.pragma("synchronous = OFF");
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS state (state TEXT NOT NULL, key_group INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (key_group, state, key)) WITHOUT ROWID",
    );
    this.selectOne = this.db.prepare("SELECT value FROM state WHERE state = ? AND key_group = ? AND key = ?");
    this.upsert = this.db.prepare(
      "INSERT INTO state (state, key_group, key, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
    );
    this.remove = this.db.prepare("DELETE FROM state WHERE state = ? AND key_group = ? AND key = ?");
    this.selectState = this.db.prepare("SELECT * FROM state WHERE state = ? ORDER BY key_group, key");
    this.selectAll = this.db.prepare("SELECT * FROM state ORDER BY key_group, state, key");
  }

  get(state: string, keyGroup: number, key: string): Json | undefined {
    const row = this.selectOne.get(state, keyGroup, key);
    return row ? (JSON.parse(row.value) as Json) : undefined;
  }

  put(state: string, keyGroup: number, key: string, value: Json): void {
    this.upsert.run(state, keyGroup, key, JSON.stringify(value));
  }

  delete(state: string, keyGroup: number, key: string): void {
    this.remove.run(state, keyGroup, key);
  }

  entriesOf(state: string): Iterable<StateEntry> {
    return this.selectState.all(state).map(toEntry);
  }

  snapshot(): StateEntry[] {
    return this.selectAll.all().map(toEntry);
  }

  load(entries: Iterable<StateEntry>): void {
    this.db.transaction(() => {
      for (const e of entries) this.put(e.state, e.keyGroup, e.key, e.value);
    })();
  }

  close(): void {
    this.db.close();
    rmSync(this.file, { force: true });
  }
}

/** A SQLite backend keeping its working files under `directory`. */
export function sqliteStateBackend(directory: string): StateBackend {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  return {
    kind: "sqlite",
    createStore: (name) => new SqliteKeyedStateStore(join(directory, `${name.replace(/[^\w.-]/g, "_")}.db`)),
  };
}
