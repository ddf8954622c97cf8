/**
 * The kit's test of itself: it must fail sinks that break the contract, and say which
 * records were lost or duplicated and where. A case passes here only when the kit fails
 * the broken sink for the right reason.
 */
import { describe, expect, it } from "vitest";
import { type ConformanceCaseName, type ConformanceReport, runConformanceCase } from "../../index.js";
import { diffSeqs, formatSeqs } from "../report.js";

const brokenSinks = new URL("./broken-file-sinks.ts", import.meta.url);

function run(caseName: ConformanceCaseName, factoryExport: string): Promise<ConformanceReport> {
  return runConformanceCase(caseName, {
    factoryModule: brokenSinks,
    factoryExport,
    name: factoryExport,
    keepWorkDirectories: "never",
  });
}

function duplicatedAt(report: ConformanceReport): number {
  return report.failures.reduce((n, f) => n + f.duplicated.length, 0);
}

function lostAt(report: ConformanceReport): number {
  return report.failures.reduce((n, f) => n + f.lost.length, 0);
}

describe.concurrent("the conformance kit fails broken sinks", () => {
  it("a non-idempotent commit: commit-twice reports duplicated seqs", async () => {
    const report = await run("commit-twice", "nonIdempotentCommit");
    expect(report.ok, report.text).toBe(false);
    expect(duplicatedAt(report), report.text).toBeGreaterThan(0);
    expect(report.text).toMatch(/DUPLICATED \d+×2/);
  });

  it("a non-idempotent commit: commit-retried reports duplicated seqs", async () => {
    const report = await run("commit-retried", "nonIdempotentCommit");
    expect(report.ok, report.text).toBe(false);
    expect(duplicatedAt(report), report.text).toBeGreaterThan(0);
  });

  it("a non-idempotent commit: a SIGKILL mid-commit reports duplicates at that point", async () => {
    const report = await run("crash-mid-commit", "nonIdempotentCommit");
    expect(report.ok, report.text).toBe(false);
    const failure = report.failures.find((f) => f.duplicated.length > 0);
    expect(failure?.point, report.text).toBe("mid-commit");
    expect(failure?.phase).toMatch(/after the restore/);
  });

  it("a dropped committable: a bounded job reports the lost seqs", async () => {
    const report = await run("bounded", "droppedCommittable");
    expect(report.ok, report.text).toBe(false);
    expect(lostAt(report), report.text).toBeGreaterThan(0);
    expect(duplicatedAt(report)).toBe(0);
    expect(report.text).toMatch(/LOST \d+/);
  });

  it("a dropped committable: a stop reports the seqs missing before restore", async () => {
    const report = await run("stop", "droppedCommittable");
    expect(report.ok, report.text).toBe(false);
    expect(
      report.failures.some((f) => f.phase.includes("before restore") && f.lost.length > 0),
      report.text,
    ).toBe(true);
  });

  it("data visible at pre-commit: a SIGKILL after pre-commit reports records visible too early, then duplicates", async () => {
    const report = await run("crash-after-pre-commit", "visibleAtPreCommit");
    expect(report.ok, report.text).toBe(false);
    const early = report.failures.find((f) => f.phase.includes("before restore"));
    expect(early?.unexpected.length, report.text).toBeGreaterThan(0);
    expect(early?.point).toBe("after-pre-commit");
    expect(duplicatedAt(report), report.text).toBeGreaterThan(0);
  });

  it("no lingering cleanup: the crashed run's transactions are reported at start", async () => {
    const report = await run("lingering-cleanup", "noLingeringCleanup");
    expect(report.ok, report.text).toBe(false);
    expect(
      report.failures.some((f) => f.phase.includes("started running")),
      report.text,
    ).toBe(true);
    expect(lostAt(report) + duplicatedAt(report)).toBe(0);
  });

  it("calls restart() of a private target mid-run", async () => {
    const report = await run("target-restart", "withPrivateTarget");
    expect(report.ok, report.text).toBe(true);
    expect(report.skipped).toBeUndefined();
    expect(report.notes.join("\n")).toMatch(/restarted in \d+ ms/);
  });

  it("skips the target-restart case when the factory has no private target", async () => {
    const report = await run("target-restart", "droppedCommittable");
    expect(report.skipped).toMatch(/startPrivateTarget/);
  });
});

describe("seq diffs", () => {
  it("name lost, duplicated and unexpected seqs in ranges", () => {
    const diff = diffSeqs([0, 1, 1, 2, 5, 9], new Set([0, 1, 2, 3, 4, 5, 6]), new Set([0, 1, 2, 3, 4, 5, 6]));
    expect(diff).toEqual({ lost: [3, 4, 6], duplicated: [{ seq: 1, copies: 2 }], unexpected: [9] });
    expect(formatSeqs(diff.lost)).toBe("3–4, 6 (3 seqs)");
  });
});
