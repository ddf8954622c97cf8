/**
 * `pnpm demo` (examples/demo.ts) on its default target: it walks every step of the tour and its
 * summary table's figures are what the output files hold — recounted here from the files with
 * plain fs reads, not with the readers the demo uses.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "./berth-runs.js";

function committedLines(directory: string): Record<string, unknown>[] {
  return readdirSync(directory)
    .filter((name) => !name.startsWith("."))
    .flatMap((name) => readFileSync(join(directory, name), "utf8").split("\n").filter(Boolean))
    .map((line) => JSON.parse(line));
}

function runDemo(work: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/demo.ts", "--work", work], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

describe("pnpm demo", () => {
  it("prints each step and a summary whose figures the output files confirm", async () => {
    const work = await mkdtemp(join(tmpdir(), "berth-demo-test-"));
    const { code, output } = await runDemo(work);
    expect(code, output).toBe(0);
    for (const step of ["start", "savepoint", "stop", "resume", "crash", "recover", "drain"])
      expect(output, step).toMatch(new RegExp(`^ *\\d\\. ${step} `, "m"));

    const seqs = committedLines(join(work, "out", "sequence")).map((r) => r.seq as number);
    const windows = committedLines(join(work, "out", "windows")) as { result: { orders: number } }[];
    const ordersInWindows = windows.reduce((sum, w) => sum + w.result.orders, 0);
    const distinct = new Set(seqs);
    expect(seqs.length).toBe(distinct.size);
    expect(Math.max(...seqs) + 1).toBe(distinct.size);
    expect(ordersInWindows).toBe(distinct.size);

    const row = (target: string) => {
      const line = output.split("\n").find((l) => l.startsWith(target));
      return line?.slice(target.length).trim().split(/\s+/).map(Number);
    };
    expect(row("files windows (orders)")).toEqual([ordersInWindows, ordersInWindows, 0, 0]);
    expect(row("files sequence")).toEqual([distinct.size, seqs.length, 0, 0]);
    const savepoints = readdirSync(join(work, "checkpoints", "savepoints")).filter((name) =>
      existsSync(join(work, "checkpoints", "savepoints", name, "_metadata")),
    );
    expect(output).toContain(`savepoints taken  ${savepoints.length} `);
    expect(savepoints).toHaveLength(3);
    expect(output).toContain("exactly-once: every record committed once");
  }, 300_000);
});
