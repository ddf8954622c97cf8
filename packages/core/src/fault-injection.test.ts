import { afterEach, describe, expect, it } from "vitest";
import { BerthError } from "./errors.js";
import { armFault, faultPoint } from "./fault-injection.js";

afterEach(() => armFault(undefined));

/** Which of `passes` passes of the point threw. */
function throwingPasses(passes: number): number[] {
  const thrown: number[] = [];
  for (let pass = 1; pass <= passes; pass++) {
    try {
      faultPoint("checkpoint-storage-write");
    } catch (error) {
      expect(error instanceof BerthError && error.code).toBe("FAULT_INJECTED");
      thrown.push(pass);
    }
  }
  return thrown;
}

describe("fault injection", () => {
  it("acts at the n-th pass only, or on `times` passes in a row from it", () => {
    armFault("checkpoint-storage-write@2:throw");
    expect(throwingPasses(5)).toEqual([2]);
    armFault("checkpoint-storage-write@2x3:throw");
    expect(throwingPasses(6)).toEqual([2, 3, 4]);
  });

  it("refuses a spec it cannot read, naming the syntax", () => {
    expect(() => armFault("checkpoint-storage-write@2y3")).toThrow(/<point>\[@n\]\[xtimes\]\[:kill\|throw\]/);
  });
});
