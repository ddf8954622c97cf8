import { describe, expect, it } from "vitest";
import { S3SinkError } from "./errors.js";
import { parseS3Committable, type S3Committable, s3CommittableCodec } from "./s3-committable.js";

const committable: S3Committable = {
  bucket: "b",
  key: "base/p-0-0a1b2c3d-1-0.jsonl",
  uploadId: "u",
  uploadToken: "t",
  parts: [
    { partNumber: 1, etag: '"e1"', size: 5_242_880 },
    { partNumber: 2, etag: '"e2"', size: 10, checksum: "AAAA" },
  ],
  size: 5_242_890,
  records: 7,
};

describe("s3 committable", () => {
  it("parses what the writer stores, unchanged", () => {
    expect(s3CommittableCodec.parse(1, JSON.parse(JSON.stringify(committable)))).toEqual(committable);
  });

  it.each([
    ["no upload id", { ...committable, uploadId: undefined }],
    ["no parts", { ...committable, parts: [] }],
    ["parts out of order", { ...committable, parts: [...committable.parts].reverse() }],
    ["a size other than the parts'", { ...committable, size: 1 }],
    ["a negative record count", { ...committable, records: -1 }],
  ])("refuses a committable with %s, naming the code", (_, value) => {
    expect(() => parseS3Committable(value)).toThrow(S3SinkError);
    expect(() => parseS3Committable(value)).toThrow(/S3|committable/);
  });

  it("refuses an unknown version with the version named", () => {
    expect(() => s3CommittableCodec.parse(2, committable)).toThrow(/version 2.*reads version 1/);
  });
});
