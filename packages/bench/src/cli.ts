/**
 * `pnpm bench [name…] [--smoke | --large] [--results-dir dir]`: runs the named benchmarks (all
 * when none is named) one after the other, prints each table and writes
 * `<results dir>/<name>.json` and `<name>.md` (default: bench/results/ at the repository root).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "@berth/testkit/services";
import { Command, InvalidArgumentError } from "commander";
import { BENCHMARKS } from "./benchmarks.js";
import { markdownTable, recordResult, type Size } from "./harness.js";

process.env.BERTH_LOG_LEVEL ??= "silent";

const program = new Command("bench")
  .description("Berth's benchmarks against the real services, each beside its reference in one run")
  .argument("[names...]", `benchmarks to run (default: all): ${BENCHMARKS.map((b) => b.name).join(", ")}`)
  .option("--smoke", "the smallest sizes (what the test suite runs)")
  .option("--large", "the largest sizes (1e7 keys, 10M records)")
  .option("--verbose", "a failure's stack trace too")
  .option(
    "--results-dir <dir>",
    "where the JSON and Markdown results go",
    join(REPO_ROOT, "bench", "results"),
  )
  .action(async (names: string[], options: { smoke?: boolean; large?: boolean; resultsDir: string }) => {
    if (options.smoke && options.large)
      throw new InvalidArgumentError("--smoke and --large exclude each other");
    const size: Size = options.smoke ? "smoke" : options.large ? "large" : "default";
    const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
    if (unknown.length > 0)
      throw new InvalidArgumentError(
        `unknown benchmark ${unknown.join(", ")}; choose from ${BENCHMARKS.map((b) => b.name).join(", ")}`,
      );
    const chosen = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
    for (const benchmark of chosen) {
      const work = mkdtempSync(join(tmpdir(), `berth-bench-${benchmark.name}-`));
      const startedAt = new Date();
      process.stderr.write(`\n${benchmark.title} (${size})\n`);
      try {
        const outcome = await benchmark.run({
          size,
          work,
          log: (line) => process.stderr.write(`  ${line}\n`),
        });
        const result = await recordResult(benchmark, outcome, size, startedAt, resolve(options.resultsDir));
        process.stdout.write(`\n${benchmark.title}\n\n${markdownTable(result)}\n`);
        for (const table of result.tables ?? [])
          process.stdout.write(`\n${table.title}\n\n${markdownTable(table)}\n`);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }
  });

program.configureOutput({ outputError: (message, write) => write(message) });
try {
  await program.parseAsync();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `bench: ${message}${process.argv.includes("--verbose") ? `\n${(error as Error).stack}` : ""}\n`,
  );
  process.exitCode = 1;
}
