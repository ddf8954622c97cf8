/**
 * Every benchmark at its smoke size, through the real command against the real services:
 * each writes a well-formed result (JSON with machine, versions, parameters and rows whose
 * ratio is a number or null, and its Markdown table). Figures are never judged here.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { BENCHMARKS } from "./benchmarks.js";

const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
const results = mkdtempSync(join(tmpdir(), "berth-bench-smoke-"));
afterAll(() => rmSync(results, { recursive: true, force: true }));

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const goal = z.object({ text: z.string().min(1), met: z.boolean() });
const row = z.looseObject({ ratio: z.number().positive().nullable(), goal: goal.optional() });
const table = z.object({
  columns: z.array(z.object({ key: z.string(), label: z.string() })).min(1),
  rows: z.array(row).min(1),
});
const result = z.object({
  benchmark: z.string(),
  title: z.string().min(1),
  command: z.string().startsWith("pnpm bench "),
  size: z.literal("smoke"),
  startedAt: z.iso.datetime(),
  durationSeconds: z.number().nonnegative(),
  environment: z.object({
    machine: z
      .object({ cpus: z.number().int().positive(), cpuModel: z.string(), memoryGiB: z.number() })
      .loose(),
    versions: z.looseObject({ node: z.string().startsWith("v") }),
    services: z.record(z.string(), z.string()),
  }),
  parameters: z.record(z.string(), z.union([cell, z.array(cell)])),
  ...table.shape,
  tables: z.array(table.extend({ title: z.string().min(1) })).optional(),
  notes: z.array(z.string()).optional(),
});

describe("pnpm bench --smoke", () => {
  it.each(BENCHMARKS.map((b) => b.name))(
    "pnpm bench %s --smoke writes a well-formed JSON result and its Markdown table",
    async (name) => {
      await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", cli, name, "--smoke", "--results-dir", results],
        { timeout: 280_000, maxBuffer: 16 * 2 ** 20 },
      );
      const parsed = result.parse(JSON.parse(readFileSync(join(results, `${name}.json`), "utf8")));
      expect(parsed.benchmark).toBe(name);
      for (const r of parsed.rows) for (const c of parsed.columns) expect(r).toHaveProperty(c.key);
      expect(readFileSync(join(results, `${name}.md`), "utf8")).toContain(`| ${parsed.columns[0]?.label} |`);
    },
    300_000,
  );

  it("refuses an unknown benchmark with a one-line error and exit code 1", async () => {
    const run = promisify(execFile)(process.execPath, [
      "--import",
      "tsx",
      cli,
      "no-such",
      "--results-dir",
      results,
    ]);
    await expect(run).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^bench: unknown benchmark no-such; choose from .+\n$/),
    });
    expect(existsSync(join(results, "no-such.json"))).toBe(false);
  });
});
