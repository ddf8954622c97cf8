import { describe, expect, it } from "vitest";
import { TestkitError } from "../errors.js";
import { CONFORMANCE_CASE_NAMES, selectedCases } from "./case-names.js";

describe("which conformance cases a run selects", () => {
  it('"core" is every crash case, lingering cleanup and rescaling — nothing else', () => {
    const core = selectedCases({ subset: "core" });
    expect(core).toEqual(
      expect.arrayContaining([
        "crash-while-writing",
        "crash-after-pre-commit",
        "crash-after-checkpoint-complete",
        "crash-mid-commit",
        "crash-during-restore-commit",
        "crash-during-stop-commit",
        "lingering-cleanup",
        "rescale-up",
        "rescale-down",
      ]),
    );
    expect(core).toHaveLength(9);
  });

  it("all by default; `only` wins over a subset; an unknown subset is a typed error", () => {
    expect(selectedCases({})).toEqual(CONFORMANCE_CASE_NAMES);
    expect(selectedCases({ only: ["bounded"], subset: "core" })).toEqual(["bounded"]);
    expect(() => selectedCases({ subset: "fast" as never })).toThrow(TestkitError);
    expect(() => selectedCases({ subset: "fast" as never })).toThrow('no subset "fast"; subsets are core');
  });
});
