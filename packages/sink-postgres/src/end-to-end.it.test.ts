/**
 * `examples/sequence-to-postgres.ts` through the `berth` CLI (DESIGN.md's sequence contract):
 * it creates its table, a SIGKILL mid-run and a `--from-latest` restore leave every seq once,
 * and no prepared transaction is left. Counted with plain SQL on a client of the test's own.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BerthProcess, runBerth } from "@berth/testkit";
import { describe, expect, it } from "vitest";
import { committedSeqs, dropTable, PG_URL, uniqueTable, withClient } from "./test-support.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

function berth(args: string[], env: Record<string, string>): BerthProcess {
  return runBerth(args, env, REPO);
}

async function rows(table: string): Promise<number> {
  return withClient(async (c) => {
    const exists = await c.query("SELECT to_regclass($1) AS t", [table]);
    if (exists.rows[0].t === null) return 0;
    return Number((await c.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n);
  });
}

describe("berth run examples/sequence-to-postgres.ts", () => {
  it("creates its table; SIGKILLed mid-run and restored with --from-latest, it holds every seq once", async () => {
    const table = uniqueTable("seq_example");
    const checkpointDir = await mkdtemp(join(tmpdir(), "berth-pg-e2e-"));
    const jobId = table.replaceAll("_", "-");
    const env = { PG_URL, PG_TABLE: table, SEQ_COUNT: "6000", SEQ_RATE: "2000", SEQ_PARALLELISM: "2" };
    const args = [
      "run",
      "examples/sequence-to-postgres.ts",
      "--job-id",
      jobId,
      "--checkpoint-dir",
      checkpointDir,
      "--checkpoint-interval",
      "200",
    ];
    const first = berth(args, env);
    // Kill it once some checkpoints committed, well before its end of input.
    const deadline = Date.now() + 60_000;
    while ((await rows(table)) < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    first.child.kill("SIGKILL");
    const killed = await first.exit;
    expect(killed.code, killed.output).toBeNull();
    expect(await rows(table)).toBeLessThan(6000);
    const again = berth([...args, "--from-latest"], env);
    const restored = await again.exit;
    expect(restored.code, restored.output).toBe(0);
    expect(await committedSeqs(table)).toEqual(Array.from({ length: 6000 }, (_, i) => i));
    const left = await withClient((c) =>
      c.query("SELECT gid FROM pg_prepared_xacts WHERE left(gid, length($1)) = $1", [
        "sequence-to-postgres.postgres",
      ]),
    );
    expect(left.rows).toEqual([]);
    await dropTable(table);
  }, 120_000);
});
