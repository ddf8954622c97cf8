import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite } from "./sqlite.js";

const saved = process.env.BERTH_SQLITE_BINDING;
afterEach(() => {
  if (saved === undefined) delete process.env.BERTH_SQLITE_BINDING;
  else process.env.BERTH_SQLITE_BINDING = saved;
});

describe("openSqlite", () => {
  it("loads the addon BERTH_SQLITE_BINDING names (better-sqlite3's nativeBinding)", () => {
    process.env.BERTH_SQLITE_BINDING = "/nonexistent/better_sqlite3.node";
    expect(() => openSqlite(":memory:")).toThrow(/nonexistent/);
    // The addon this process runs anyway: under CI's Node 22/24 legs it is the per-version build.
    const installed = join(
      dirname(createRequire(import.meta.url).resolve("better-sqlite3/package.json")),
      "build/Release/better_sqlite3.node",
    );
    process.env.BERTH_SQLITE_BINDING = saved ?? installed;
    const db = openSqlite(":memory:");
    expect(db.prepare<[], { one: number }>("select 1 as one").get()).toEqual({ one: 1 });
    db.close();
  });
});
