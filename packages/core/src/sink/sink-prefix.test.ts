import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fileSink } from "../file-sink/file-sink.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { longestNameBytes } from "../runtime/sink-prefix-checks.js";
import { sequenceSource } from "../source/sequence-source.js";
import { checkSinkPrefix, defaultSinkPrefix, SINK_PREFIX_MAX_BYTES, SinkPrefixError } from "./sink-prefix.js";

/** The encoding before ADR 0005: `-` joins names that may hold `-` themselves. */
function oldDefault(pipeline: string, uid: string, target: string): string {
  return `${pipeline}-${uid}-${createHash("sha256").update(target).digest("hex").slice(0, 8)}`;
}

const NAME_CHARS = "aB-_.0";

function names(length: number, prefix = ""): string[] {
  if (length === 0) return [prefix];
  return [...NAME_CHARS].flatMap((c) => names(length - 1, prefix + c));
}

describe("the default sink prefix", () => {
  it("gives every pipeline/uid/target triple its own prefix, also where the old `-`-joined encoding collided", () => {
    // Every pipeline and uid of up to 3 characters over a set rich in `-`, `.` and `_`, two targets.
    const parts = [1, 2, 3].flatMap((n) => names(n)).filter((n) => /^[\w.-]+$/.test(n));
    const seen = new Map<string, string>();
    const collisions: string[] = [];
    let oldCollisions = 0;
    const oldSeen = new Set<string>();
    for (const pipeline of parts.slice(0, 120))
      for (const uid of parts)
        for (const target of ["file:///out", "kafka://127.0.0.1:9092/t"]) {
          const triple = JSON.stringify([pipeline, uid, target]);
          const prefix = defaultSinkPrefix(pipeline, uid, target);
          const earlier = seen.get(prefix);
          if (earlier !== undefined) collisions.push(`${earlier} and ${triple}: ${prefix}`);
          seen.set(prefix, triple);
          const old = oldDefault(pipeline, uid, target);
          if (oldSeen.has(old)) oldCollisions++;
          oldSeen.add(old);
        }
    expect(collisions).toEqual([]);
    // The old encoding had them: "a-b" + "c" and "a" + "b-c" gave one prefix.
    expect(oldCollisions).toBeGreaterThan(0);
    expect(oldDefault("a-b", "c", "t")).toBe(oldDefault("a", "b-c", "t"));
    expect(defaultSinkPrefix("a-b", "c", "t")).not.toBe(defaultSinkPrefix("a", "b-c", "t"));
  });

  it("is at most 64 bytes of the explicit prefix charset, readable, and the same for the same triple", () => {
    const long = "Orders_Pipeline-".repeat(10);
    for (const [pipeline, uid] of [
      ["orders", "files"],
      [long, long],
      ["_.-", "-"],
      ["Orders", "Kafka.Out"],
    ] as const) {
      const prefix = defaultSinkPrefix(pipeline, uid, "file:///out");
      expect(Buffer.byteLength(prefix)).toBeLessThanOrEqual(SINK_PREFIX_MAX_BYTES);
      expect(checkSinkPrefix(prefix, uid)).toBe(prefix);
      expect(defaultSinkPrefix(pipeline, uid, "file:///out")).toBe(prefix);
    }
    expect(defaultSinkPrefix("orders", "files", "file:///out")).toMatch(/^orders\.files-[0-9a-f]{16}$/);
    expect(defaultSinkPrefix("orders", "files", "file:///out")).not.toBe(
      defaultSinkPrefix("orders", "files", "file:///elsewhere"),
    );
  });

  it("fits every target: its longest name is within the file sink's limit and a PostgreSQL gid's 200 bytes", () => {
    const prefix = defaultSinkPrefix("p".repeat(200), "u".repeat(200), "t");
    const longest = longestNameBytes(prefix, 32_768);
    expect(longest).toBeLessThanOrEqual(200);
    expect(longest).toBeLessThanOrEqual(fileSink({ directory: "out" }).maxNameBytes as number);
  });
});

describe("explicit sink prefixes", () => {
  it("accept 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit", () => {
    for (const ok of ["a", "0", "conf-1a2b3c-first", "orders.v2_eu-west", "x".repeat(64)])
      expect(checkSinkPrefix(ok, "s")).toBe(ok);
  });

  it("refuse anything else with SINK_PREFIX_INVALID, naming the sink and the rule", () => {
    for (const bad of ["", "Orders", ".hidden", "-a", "a/b", "a b", "ä", "x".repeat(65)]) {
      const error = (() => {
        try {
          checkSinkPrefix(bad, "files");
        } catch (e) {
          return e;
        }
      })();
      expect(error, bad).toBeInstanceOf(SinkPrefixError);
      expect((error as SinkPrefixError).code).toBe("SINK_PREFIX_INVALID");
      expect((error as SinkPrefixError).message).toMatch(/sink "files".*a-z, 0-9/);
    }
  });

  it("are refused when the pipeline is built", () => {
    const pipeline = Pipeline.create({ name: "p" });
    const stream = pipeline.source(sequenceSource({ count: 1 }), { uid: "seq" });
    expect(() => stream.sinkTo(fileSink({ directory: "out" }), { uid: "files", sinkPrefix: "Out" })).toThrow(
      SinkPrefixError,
    );
  });
});
