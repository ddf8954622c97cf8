/**
 * The one-line vitest entry point: registers every conformance case as a test. Cases that
 * do not share a target run concurrently; cases that restart a private target run alone.
 */
import { describe, it } from "vitest";
import { TestkitError } from "../errors.js";
import { CONFORMANCE_CASES, type ConformanceCaseName, SERIAL_CASES, selectedCases } from "./case-names.js";
import { runConformanceCase } from "./cases.js";
import type { SinkConformanceOptions } from "./options.js";

/**
 * ```ts
 * describeSinkConformance("http sink", {
 *   factoryModule: new URL("./http-sink.conformance.ts", import.meta.url),
 * });
 * ```
 * A failing case fails its test with the report: the phase, the lifecycle point, and every
 * seq lost, duplicated or visible too early.
 */
export function describeSinkConformance(name: string, options: SinkConformanceOptions): void {
  const withName = { name, ...options };
  const selected = selectedCases(options).filter((c) => CONFORMANCE_CASES[c] !== undefined);
  const timeout = (options.caseTimeoutMs ?? 90_000) + 5_000;
  const register = (test: typeof it, caseName: ConformanceCaseName): void => {
    const title = `${caseName}: ${CONFORMANCE_CASES[caseName]}`;
    const reason = options.skip?.[caseName];
    if (reason !== undefined) {
      it.skip(`${title} (skipped: ${reason})`, () => {});
      return;
    }
    test(title, { timeout }, async (context) => {
      const report = await runConformanceCase(caseName, withName);
      if (report.skipped) context.skip(report.skipped);
      for (const note of report.notes) await context.annotate(note, "notice");
      if (!report.ok) throw new TestkitError("CONFORMANCE_FAILED", report.text);
    });
  };
  describe(`${name} — sink conformance`, () => {
    describe.concurrent("cases", () => {
      for (const c of selected) if (!SERIAL_CASES.includes(c)) register(it, c);
    });
    const serial = selected.filter((c) => SERIAL_CASES.includes(c));
    if (serial.length > 0) {
      describe.sequential("cases on a private target", () => {
        for (const c of serial) register(it, c);
      });
    }
  });
}
