import { describe, expect, it } from "vitest";
import { PostgresError } from "./errors.js";
import { postgresSink } from "./postgres-sink.js";

const base = { connectionString: "postgres://127.0.0.1/db", table: "t", columns: { seq: "seq" } } as const;

describe("postgres sink options: marker retention", () => {
  it("refuses a retention shorter than 10 checkpoint intervals at the job's validation, saying what to do", async () => {
    const sink = postgresSink<{ seq: number }>({ ...base, markerRetentionMs: 9_999 });
    const refused = await sink.validate?.({ checkpointIntervalMs: 1_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(PostgresError);
    expect(refused).toMatchObject({ code: "POSTGRES_CONFIG_INVALID" });
    expect((refused as Error).message).toContain(
      "markerRetentionMs 9999 is shorter than 10 checkpoint intervals (10000 ms)",
    );
    await expect(sink.validate?.({ checkpointIntervalMs: 999 })).resolves.toBeUndefined();
    // at-least-once writes no marker: no retention to check.
    const atLeastOnce = postgresSink<{ seq: number }>({
      ...base,
      markerRetentionMs: 1,
      deliveryGuarantee: "at-least-once",
    });
    await expect(atLeastOnce.validate?.({ checkpointIntervalMs: 1_000 })).resolves.toBeUndefined();
  });

  it("refuses a non-positive retention and a marker table name with no room for its `_pruned` and `_by_age` companions", () => {
    expect(() => postgresSink({ ...base, markerRetentionMs: 0 })).toThrow(
      /markerRetentionMs must be an integer ≥ 1/,
    );
    expect(() => postgresSink({ ...base, markerTable: "m".repeat(57) })).toThrow(/longer than 56 bytes/);
    expect(() => postgresSink({ ...base, markerTable: "m".repeat(56) })).not.toThrow();
  });
});
