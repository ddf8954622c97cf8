import { describe, expect, it } from "vitest";
import { PostgresError } from "./errors.js";
import { POSTGRES_COMMITTABLE_VERSION, postgresCommittableCodec } from "./postgres-committable.js";

describe("the postgres committable codec", () => {
  const good = { gid: "p-0-0a1b2c3d-7", table: "t", records: 3 };

  it("parses the current version and refuses malformed values and unknown versions with a typed error", () => {
    expect(postgresCommittableCodec.parse(POSTGRES_COMMITTABLE_VERSION, good)).toEqual(good);
    const dated = { ...good, staged: true, preparedAt: 1_790_000_000_123 };
    expect(postgresCommittableCodec.parse(POSTGRES_COMMITTABLE_VERSION, dated)).toEqual(dated);
    for (const bad of [
      null,
      "x",
      { ...good, gid: "" },
      { ...good, records: 1.5 },
      { gid: "g", table: "t" },
      { ...good, preparedAt: "yesterday" },
      { ...good, preparedAt: null },
    ]) {
      expect(() => postgresCommittableCodec.parse(POSTGRES_COMMITTABLE_VERSION, bad)).toThrow(PostgresError);
    }
    expect(() => postgresCommittableCodec.parse(9, good)).toThrow(/version 9/);
  });
});
