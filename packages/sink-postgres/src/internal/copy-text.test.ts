import { describe, expect, it } from "vitest";
import { CopyValueError, copyField, copyLine, escapeCopyText } from "./copy-text.js";

describe("COPY text encoding", () => {
  it("escapes backslash, tab, newline and carriage return, so no value ends its field or row", () => {
    expect(escapeCopyText("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
    // The two characters \N are data, not NULL.
    expect(escapeCopyText("\\N")).toBe("\\\\N");
    expect(copyLine(["x\ty", null, "\\N"])).toBe("x\\ty\t\\N\t\\\\N\n");
  });

  it("refuses a NUL character, which PostgreSQL text cannot hold", () => {
    expect(() => escapeCopyText("a\0b")).toThrow(CopyValueError);
    expect(() => copyField("a\0b")).toThrow(/NUL/);
    // JSON spells it \u0000 (a json column keeps it; jsonb refuses it at the server).
    expect(copyField({ text: "a\0b" })).toBe('{"text":"a\\\\u0000b"}');
  });

  it("NULL for null and undefined; numbers, bigints, booleans, dates, bytes and JSON in PostgreSQL's text forms", () => {
    expect(copyField(null)).toBe("\\N");
    expect(copyField(undefined)).toBe("\\N");
    expect(copyField(-1.5)).toBe("-1.5");
    expect(copyField(Number.NaN)).toBe("NaN");
    expect(copyField(Number.NEGATIVE_INFINITY)).toBe("-Infinity");
    expect(copyField(12345678901234567890n)).toBe("12345678901234567890");
    expect(copyField(true)).toBe("t");
    expect(copyField(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)))).toBe("2026-01-02T03:04:05.006Z");
    expect(() => copyField(new Date(Number.NaN))).toThrow(/invalid Date/);
    // bytea hex form \x…, its backslash escaped for COPY.
    expect(copyField(new Uint8Array([0, 0xff, 0x10]))).toBe("\\\\x00ff10");
    expect(copyField(Buffer.from("ab"))).toBe("\\\\x6162");
    expect(copyField({ a: "x\ny", b: [1, null] })).toBe('{"a":"x\\\\ny","b":[1,null]}');
  });
});
