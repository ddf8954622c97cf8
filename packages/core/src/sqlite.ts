/**
 * Opening a better-sqlite3 database, the one place that picks its native addon. By default
 * better-sqlite3 loads the addon built when it was installed, which fits only the Node.js
 * version it was built for. `BERTH_SQLITE_BINDING` names another build of the addon (a
 * `better_sqlite3.node` compiled for the Node.js that runs Berth — CI builds one per tested
 * version, docs/services.md), passed as better-sqlite3's `nativeBinding` option.
 */
import Database from "better-sqlite3";

export function openSqlite(path: string, options: Database.Options = {}): Database.Database {
  const binding = process.env.BERTH_SQLITE_BINDING?.trim();
  return new Database(path, binding ? { ...options, nativeBinding: binding } : options);
}
