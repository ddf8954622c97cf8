import { describe, expect, it } from "vitest";
import { assertSafeName, childPath, isSafeName, SAFE_NAME_MAX_LENGTH, UnsafeNameError } from "./safe-name.js";

describe("safe names", () => {
  it("accepts letters, digits, . _ - starting with a letter or digit, up to the maximum length", () => {
    for (const name of [
      "seq1",
      "a",
      "0",
      "job.v2_final-3",
      "e3b0c442-98fc-1c14-9afb-f4c8996fb924",
      "x".repeat(SAFE_NAME_MAX_LENGTH),
    ])
      expect(isSafeName(name), name).toBe(true);
  });

  it("refuses empty, path-like, dot, flag-like, non-ASCII and over-long names with a typed error", () => {
    for (const name of [
      "",
      "../../../x/evil",
      "a/b",
      "a\\b",
      ".",
      "..",
      "a..b",
      ".hidden",
      "-rf",
      "a b",
      "é",
      "a\0b",
      "x".repeat(SAFE_NAME_MAX_LENGTH + 1),
    ]) {
      expect(isSafeName(name), JSON.stringify(name)).toBe(false);
      const error = (() => {
        try {
          assertSafeName("job id", name);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(UnsafeNameError);
      expect((error as UnsafeNameError).code).toBe("NAME_INVALID");
      expect((error as Error).message).toMatch(/^job id ".*"…? is not safe: use 1–128 characters/);
    }
  });

  it("childPath stays inside its parent", () => {
    expect(childPath("/tmp/chk", "job id", "seq1")).toBe("/tmp/chk/seq1");
    expect(() => childPath("/tmp/chk", "job id", "../evil")).toThrow(UnsafeNameError);
  });
});
