/**
 * Savepoint formats on the sqlite backend with large keyed state: time to take a canonical
 * and a native savepoint of one subtask, and to restore each into a new store.
 *
 *   pnpm exec tsx packages/core/bench/savepoint-formats.ts [entries=200000]
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointStorage } from "../src/checkpoint/checkpoint-storage.js";
import { loadRestorePoint, readKeyedEntries } from "../src/checkpoint/restore-point.js";
import { sqliteStateBackend } from "../src/state/sqlite-state-backend.js";

const entries = Number(process.argv[2] ?? 200_000);
const work = mkdtempSync(join(tmpdir(), "berth-bench-"));
const backend = sqliteStateBackend(join(work, "work"));
const range = { start: 0, end: 127 };
const store = backend.createStore("source");
store.load(
  Array.from({ length: entries }, (_, i) => ({
    state: "value",
    keyGroup: i % 128,
    key: `key-${i}`,
    value: { count: i, name: `entry number ${i}`, tags: ["a", "b", "c"] },
  })),
);
const storage = new CheckpointStorage(join(work, "chk"), "bench", { incremental: true });

async function take(format: "canonical" | "native"): Promise<{ ms: number; directory: string }> {
  const directory = join(work, format);
  const started = performance.now();
  const handle = await storage.writeState({ directory, savepoint: true, format }, "op", 0, [], {
    store,
    range,
  });
  const ms = performance.now() - started;
  await storage.complete(directory, {
    magic: "berth-checkpoint",
    formatVersion: 2,
    kind: "savepoint",
    format,
    backend: "sqlite",
    jobId: "bench",
    pipeline: "bench",
    checkpointId: 1,
    createdAt: new Date().toISOString(),
    sdkVersion: "bench",
    maxParallelism: 128,
    stop: "none",
    operators: [{ uid: "op", parallelism: 1, subtasks: [handle] }],
    sinks: [],
  });
  return { ms, directory };
}

async function restore(directory: string, name: string): Promise<number> {
  const started = performance.now();
  const point = await loadRestorePoint(directory);
  const keyed = point.states.get("op")?.[0]?.keyed;
  if (!keyed) throw new Error("no keyed state");
  const restored =
    keyed.kind === "sqlite"
      ? backend.restoreNative?.(name, [{ path: keyed.path, keyGroups: range }], range)
      : (() => {
          const s = backend.createStore(name);
          return readKeyedEntries(keyed, range).then((e) => {
            s.load(e);
            return s;
          });
        })();
  const s = await restored;
  const ms = performance.now() - started;
  s?.close();
  return ms;
}

mkdirSync(join(work, "canonical"));
mkdirSync(join(work, "native"));
const canonical = await take("canonical");
const native = await take("native");
const rows = [
  ["canonical", canonical.ms, await restore(canonical.directory, "r1")],
  ["native", native.ms, await restore(native.directory, "r2")],
];
console.log(`| format (${entries} entries, one subtask) | take (ms) | restore incl. verification (ms) |`);
console.log("|---|---|---|");
for (const [format, t, r] of rows)
  console.log(`| ${format} | ${Math.round(t as number)} | ${Math.round(r as number)} |`);
store.close();
rmSync(work, { recursive: true, force: true });
