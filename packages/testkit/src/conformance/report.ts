/**
 * What a conformance case found: per failed check, the phase and lifecycle point, and the
 * exact sequence numbers lost, duplicated, or visible when they must not be.
 */
import type { FaultPoint } from "@berth/core/testing";
import type { ConformanceRecord } from "./sink-factory.js";

export interface DuplicatedSeq {
  readonly seq: number;
  readonly copies: number;
}

export interface ConformanceFailure {
  /** When the check ran, e.g. "after the crash, before restore". */
  readonly phase: string;
  /** The lifecycle point the job process was killed at, for crash cases. */
  readonly point?: FaultPoint;
  readonly message: string;
  /** Expected at this phase, not committed. */
  readonly lost: readonly number[];
  /** Committed more than once. */
  readonly duplicated: readonly DuplicatedSeq[];
  /** Committed but not expected at this phase (e.g. visible before its checkpoint completed). */
  readonly unexpected: readonly number[];
}

export interface ConformanceReport {
  readonly case: string;
  readonly sink: string;
  readonly ok: boolean;
  /** Set when the case did not run, with the reason. */
  readonly skipped?: string;
  readonly failures: readonly ConformanceFailure[];
  /** Observations that do not fail the case (e.g. a recommit answered "committed"). */
  readonly notes: readonly string[];
  readonly durationMs: number;
  /** Kept when the case failed, for inspection. */
  readonly workDirectory: string;
  /** Everything above as text, one failure per paragraph. */
  readonly text: string;
}

export interface SeqDiff {
  readonly lost: number[];
  readonly duplicated: DuplicatedSeq[];
  readonly unexpected: number[];
}

export function toSeqs(records: ReadonlyArray<number | ConformanceRecord>): number[] {
  return records.map((r) => (typeof r === "number" ? r : r.seq));
}

function counts(seqs: readonly number[]): Map<number, number> {
  const counted = new Map<number, number>();
  for (const seq of seqs) counted.set(seq, (counted.get(seq) ?? 0) + 1);
  return counted;
}

/**
 * Compares what is committed with what must be. `mustHave` undefined means any subset of
 * `mayHave` is fine (a crash may leave later records uncommitted).
 */
export function diffSeqs(
  committed: readonly number[],
  mayHave: ReadonlySet<number>,
  mustHave: ReadonlySet<number> | undefined,
): SeqDiff {
  const counted = counts(committed);
  const lost = mustHave ? [...mustHave].filter((s) => !counted.has(s)).sort((a, b) => a - b) : [];
  const duplicated = [...counted]
    .filter(([, copies]) => copies > 1)
    .map(([seq, copies]) => ({ seq, copies }))
    .sort((a, b) => a.seq - b.seq);
  const unexpected = [...counted.keys()].filter((s) => !mayHave.has(s)).sort((a, b) => a - b);
  return { lost, duplicated, unexpected };
}

export function isClean(diff: SeqDiff): boolean {
  return diff.lost.length === 0 && diff.duplicated.length === 0 && diff.unexpected.length === 0;
}

/** `0–9, 12, 40–41 (13 seqs)`, at most `limit` runs. */
export function formatSeqs(seqs: readonly number[], limit = 12): string {
  const sorted = [...seqs].sort((a, b) => a - b);
  const runs: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    runs.push(i === j ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  const shown = runs.length > limit ? [...runs.slice(0, limit), `… ${runs.length - limit} more runs`] : runs;
  return `${shown.join(", ")} (${sorted.length} seq${sorted.length === 1 ? "" : "s"})`;
}

export function describeDiff(diff: SeqDiff): string {
  const parts: string[] = [];
  if (diff.lost.length > 0) parts.push(`LOST ${formatSeqs(diff.lost)}`);
  if (diff.duplicated.length > 0) {
    const shown = diff.duplicated
      .slice(0, 12)
      .map((d) => `${d.seq}×${d.copies}`)
      .join(", ");
    parts.push(
      `DUPLICATED ${shown}${diff.duplicated.length > 12 ? ", …" : ""} (${diff.duplicated.length} seqs)`,
    );
  }
  if (diff.unexpected.length > 0) parts.push(`UNEXPECTED ${formatSeqs(diff.unexpected)}`);
  return parts.join("; ");
}

export function formatReport(report: Omit<ConformanceReport, "text">): string {
  const head = report.skipped
    ? `[${report.sink}] ${report.case}: skipped (${report.skipped})`
    : `[${report.sink}] ${report.case}: ${report.ok ? "passed" : `FAILED (${report.failures.length} check${report.failures.length === 1 ? "" : "s"})`} in ${report.durationMs} ms`;
  const lines = [head];
  for (const f of report.failures) {
    lines.push(`  × ${f.phase}${f.point ? ` [fault point ${f.point}]` : ""}: ${f.message}`);
  }
  for (const note of report.notes) lines.push(`  · ${note}`);
  if (!report.ok && !report.skipped) lines.push(`  work directory kept: ${report.workDirectory}`);
  return lines.join("\n");
}
