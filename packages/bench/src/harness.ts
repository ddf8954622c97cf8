/**
 * What every benchmark shares: its definition (sizes, how to run), the result it returns, and
 * how that result is recorded — one JSON file and one Markdown table per benchmark under the
 * results directory, with the machine, versions and parameters beside the figures.
 *
 * A row compares Berth with a reference measured in the same run: `ratio` is Berth ÷ the
 * reference with "higher is better" (for a rate, Berth's rate ÷ the reference's; for a time,
 * the reference's time ÷ Berth's). A goal is recorded with the row it judges; it is a
 * benchmark goal, never a test assertion.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Environment, environment } from "./environment.js";

export type Size = "smoke" | "default" | "large";

export type Cell = string | number | boolean | null;

export interface Goal {
  /** What the goal says, e.g. "≥ 0.9× raw". */
  readonly text: string;
  readonly met: boolean;
}

export interface Row {
  /** Figures and parameters of the row, by column key. */
  readonly [column: string]: Cell | Goal | undefined;
  /** Berth ÷ the reference, higher is better; null where the row has no reference. */
  readonly ratio: number | null;
  readonly goal?: Goal;
}

export interface Column {
  readonly key: string;
  readonly label: string;
}

export interface Table {
  readonly title: string;
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
}

export interface BenchmarkOutcome {
  /** The parameters the run used (record counts, intervals, …). */
  readonly parameters: Record<string, Cell | readonly Cell[]>;
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  /** Further tables of the same run (e.g. the platform's own tool), each with its title. */
  readonly tables?: readonly Table[];
  /** Versions of the services this benchmark ran against (e.g. the Kafka broker). */
  readonly services?: Record<string, string>;
  /** What a reader must know to read the table (what each side does). */
  readonly notes?: readonly string[];
}

export interface BenchmarkContext {
  readonly size: Size;
  /** A scratch directory of this benchmark's run, removed afterwards. */
  readonly work: string;
  /** Progress for the console (stderr): one line per measured case. */
  log(line: string): void;
}

export interface Benchmark {
  readonly name: string;
  readonly title: string;
  run(context: BenchmarkContext): Promise<BenchmarkOutcome>;
}

export interface BenchmarkResult extends BenchmarkOutcome {
  readonly benchmark: string;
  readonly title: string;
  readonly command: string;
  readonly size: Size;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly environment: Environment;
}

/** The command that reproduces a result (as docs/benchmarks.md quotes it). */
export function commandOf(name: string, size: Size): string {
  return `pnpm bench ${name}${size === "default" ? "" : ` --${size}`}`;
}

export async function recordResult(
  benchmark: Benchmark,
  outcome: BenchmarkOutcome,
  size: Size,
  startedAt: Date,
  resultsDirectory: string,
): Promise<BenchmarkResult> {
  const result: BenchmarkResult = {
    benchmark: benchmark.name,
    title: benchmark.title,
    command: commandOf(benchmark.name, size),
    size,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    environment: await environment(outcome.services ?? {}),
    ...outcome,
  };
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(join(resultsDirectory, `${benchmark.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(resultsDirectory, `${benchmark.name}.md`), markdown(result));
  return result;
}

function formatCell(value: Cell | Goal | undefined): string {
  if (value === undefined || value === null) return "–";
  if (typeof value === "object") return value.met ? `met (${value.text})` : `**missed** (${value.text})`;
  if (typeof value === "number")
    return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toFixed(2);
  return String(value);
}

function ratioCell(ratio: number | null): string {
  return ratio === null ? "–" : `${ratio.toFixed(2)}×`;
}

/** The rows as a Markdown table: the benchmark's columns, then ratio and goal. */
export function markdownTable(result: Pick<BenchmarkResult, "columns" | "rows">): string {
  const hasGoal = result.rows.some((row) => row.goal !== undefined);
  const hasRatio = result.rows.some((row) => row.ratio !== null);
  const header = [
    ...result.columns.map((c) => c.label),
    ...(hasRatio ? ["ratio"] : []),
    ...(hasGoal ? ["goal"] : []),
  ];
  const lines = [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`];
  for (const row of result.rows) {
    const cells = [
      ...result.columns.map((c) => formatCell(row[c.key])),
      ...(hasRatio ? [ratioCell(row.ratio)] : []),
      ...(hasGoal ? [formatCell(row.goal)] : []),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

function markdown(result: BenchmarkResult): string {
  const env = result.environment;
  const services = Object.entries(env.services)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return [
    `## ${result.title}`,
    "",
    `\`${result.command}\` — ${result.startedAt}, ${result.durationSeconds} s; ${env.machine.cpus} × ${env.machine.cpuModel}, ${env.machine.memoryGiB} GiB, load ${env.machine.loadAverage.join(" ")}; node ${env.versions.node}${services ? `; ${services}` : ""}`,
    "",
    markdownTable(result),
    "",
    ...(result.tables ?? []).flatMap((t) => [`### ${t.title}`, "", markdownTable(t), ""]),
    ...(result.notes ?? []).map((n) => `- ${n}`),
    "",
  ].join("\n");
}

/** Records per second of `records` done in `ms`. */
export function rate(records: number, ms: number): number {
  return Math.round(records / (ms / 1000));
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Rounds to two decimals (ratios, milliseconds). */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** A ratio row's goal: Berth's ratio at or above `min`. */
export function ratioGoal(ratio: number, min: number): Goal {
  return { text: `≥ ${min}×`, met: ratio >= min };
}

/** `promise`, or a rejection naming `what` after `ms`: no benchmark step waits forever. */
export async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
