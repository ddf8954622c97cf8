import { describe, expect, it } from "vitest";
import { BerthError, CommitFailedPermanentlyError, TypedError } from "./errors.js";

describe("typed errors", () => {
  it("instanceof matches by class name, so an error from another copy of the package is recognised", () => {
    // Another copy of the core: its own classes of the same names, the same global brand.
    const copy = (() => {
      class BerthError extends TypedError<"CONFIG_INVALID"> {}
      return new BerthError("CONFIG_INVALID", "from the other copy");
    })();
    expect(copy instanceof BerthError).toBe(true);
    expect(copy instanceof TypedError).toBe(true);
    expect(copy instanceof CommitFailedPermanentlyError).toBe(false);
  });

  it("another package's error is a TypedError with its own code, not a BerthError", () => {
    class OtherError extends TypedError<"OTHER_FAILED"> {}
    const cause = new Error("root");
    const error = new OtherError("OTHER_FAILED", "what is wrong; what to do", { cause });
    expect(error instanceof OtherError).toBe(true);
    expect(error instanceof TypedError).toBe(true);
    expect(error instanceof BerthError).toBe(false);
    expect(error).toMatchObject({ name: "OtherError", code: "OTHER_FAILED", cause });
  });

  it("a subclass is an instance of its bases, named after itself", () => {
    const error = new CommitFailedPermanentlyError("lost", { id: 1 });
    expect(error instanceof BerthError).toBe(true);
    expect(error instanceof Error).toBe(true);
    expect(error).toMatchObject({ name: "CommitFailedPermanentlyError", code: "COMMIT_FAILED_PERMANENTLY" });
    expect(new BerthError("CONFIG_INVALID", "bad") instanceof CommitFailedPermanentlyError).toBe(false);
  });
});
