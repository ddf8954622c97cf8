import { describe, expect, it } from "vitest";
import { SinkPrefixError } from "../sink/sink-prefix.js";
import { checkDistinctPrefixes, checkNamesFit, longestNameBytes } from "./sink-prefix-checks.js";

describe("prefix checks", () => {
  it("refuse two sinks of one kind under one prefix, naming both uids; other kinds may share it", () => {
    expect(() =>
      checkDistinctPrefixes([
        { uid: "a", kind: "file", prefix: "p" },
        { uid: "b", kind: "kafka", prefix: "p" },
        { uid: "c", kind: "file", prefix: "q" },
      ]),
    ).not.toThrow();
    try {
      checkDistinctPrefixes([
        { uid: "a", kind: "file", prefix: "p" },
        { uid: "b", kind: "file", prefix: "p" },
      ]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SinkPrefixError);
      expect((error as SinkPrefixError).code).toBe("SINK_PREFIX_DUPLICATE");
      expect((error as SinkPrefixError).uids).toEqual(["a", "b"]);
      expect((error as Error).message).toMatch(/sinks "a" and "b" \(file\) share the sink prefix "p"/);
    }
  });

  it("measure the longest name: highest subtask, attempt id, a 19-digit checkpoint id", () => {
    // "p-127-0a1b2c3d-" + 19 digits
    expect(longestNameBytes("p", 128)).toBe(1 + 4 + 9 + 20);
    expect(() => checkNamesFit({ uid: "s", kind: "x", prefix: "p" }, 34, 128)).not.toThrow();
    expect(() => checkNamesFit({ uid: "s", kind: "x", prefix: "p" }, 33, 128)).toThrow(
      /longest x name is 34 bytes .* over the target's limit of 33; the max parallelism leaves no room/,
    );
    expect(() => checkNamesFit({ uid: "s", kind: "x", prefix: "pp" }, 34, 128)).toThrow(
      /use a sink prefix of at most 1 bytes/,
    );
  });
});
