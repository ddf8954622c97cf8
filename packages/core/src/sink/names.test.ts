import { describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import { newAttemptId, SinkNames } from "./names.js";

/** A small seeded generator (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Prefixes of old savepoints may hold upper case and `_`; `-` and digits are what could confuse a parser.
const CHARS = "ab0-1-._-Z9";

function generator(seed: number) {
  const next = random(seed);
  const int = (max: number) => Math.floor(next() * max);
  const text = (min: number, max: number) =>
    Array.from({ length: min + int(max - min + 1) }, () => CHARS[int(CHARS.length)]).join("");
  return {
    int,
    prefix: () => text(1, 12),
    suffix: () => text(1, 6),
    attempt: () => ({
      subtask: int(3) === 0 ? 0 : int(100_000),
      attemptId: Array.from({ length: 8 }, () => "0123456789abcdef"[int(16)]).join(""),
      checkpointId: int(4) === 0 ? 9_007_199_254_740_991 : 1 + int(1_000_000),
    }),
    pooled: () => ({ subtask: int(1000), slot: int(50) }),
  };
}

const ROUNDS = 2000;

describe("sink names", () => {
  it("parse(build(x)) = x for random prefixes, attempt and pooled names", () => {
    const g = generator(11);
    for (let i = 0; i < ROUNDS; i++) {
      const names = new SinkNames(g.prefix());
      const attempt = g.attempt();
      const pooled = g.pooled();
      expect(names.parseAttempt(names.attempt(attempt))).toEqual(attempt);
      expect(names.parsePooled(names.pooled(pooled))).toEqual(pooled);
    }
  });

  it("a name parses under no other prefix, in particular not under one that extends or shortens it", () => {
    const g = generator(12);
    for (let i = 0; i < ROUNDS; i++) {
      const base = g.prefix();
      const longer = `${base}${g.int(2) === 0 ? "-" : ""}${g.suffix()}`;
      for (const [of, under] of [
        [base, longer],
        [longer, base],
      ] as const) {
        const built = new SinkNames(of);
        const other = new SinkNames(under);
        const attempt = built.attempt(g.attempt());
        const pooled = built.pooled(g.pooled());
        expect(other.parseAttempt(attempt), `${attempt} under prefix ${under}`).toBeUndefined();
        expect(other.parsePooled(pooled), `${pooled} under prefix ${under}`).toBeUndefined();
      }
    }
  });

  it("prefix a never claims names of prefix a-b, and the reverse", () => {
    const a = new SinkNames("a");
    const ab = new SinkNames("a-b");
    const attempt = { subtask: 1, attemptId: "0a1b2c3d", checkpointId: 7 };
    expect(a.parseAttempt(ab.attempt(attempt))).toBeUndefined();
    expect(ab.parseAttempt(a.attempt(attempt))).toBeUndefined();
    expect(a.parsePooled(ab.pooled({ subtask: 0, slot: 1 }))).toBeUndefined();
    expect(ab.parsePooled(a.pooled({ subtask: 0, slot: 1 }))).toBeUndefined();
    // Digits after a dash are the case a pattern like `^a-\d+-` got wrong.
    const a1 = new SinkNames("a-1");
    expect(a.parsePooled(a1.pooled({ subtask: 2, slot: 3 }))).toBeUndefined();
    expect(a.parseAttempt(a1.attempt(attempt))).toBeUndefined();
  });

  it("refuses what would not parse back: a foreign attempt id, a negative subtask, checkpoint 0", () => {
    const names = new SinkNames("p");
    expect(() => names.attempt({ subtask: 0, attemptId: "run-1", checkpointId: 1 })).toThrow(BerthError);
    expect(() => names.attempt({ subtask: -1, attemptId: newAttemptId(), checkpointId: 1 })).toThrow(
      /subtask -1/,
    );
    expect(() => names.attempt({ subtask: 0, attemptId: newAttemptId(), checkpointId: 0 })).toThrow(
      /checkpoint id 0/,
    );
    expect(() => names.pooled({ subtask: 0, slot: 1.5 })).toThrow(/slot 1.5/);
  });

  it("rejects strings that merely look like names", () => {
    const names = new SinkNames("p");
    for (const s of [
      "p",
      "p-",
      "p-0",
      "p-01-0a1b2c3d-1",
      "p-0-0A1B2C3D-1",
      "p-0-0a1b2c3-1",
      "p-0-0a1b2c3d-0",
      "q-0-1",
    ])
      expect(names.parseAttempt(s), s).toBeUndefined();
    for (const s of ["p-0", "p-0-", "p-00-1", "p-0-1-2", "p-x-1"])
      expect(names.parsePooled(s), s).toBeUndefined();
  });

  it("escapes LIKE wildcards and the escape character", () => {
    expect(new SinkNames("a_b").likePattern()).toBe("a\\_b-%");
    expect(new SinkNames("a%b\\c").likePattern()).toBe("a\\%b\\\\c-%");
  });
});
