import { describe, expect, it } from "vitest";
import { S3SinkError } from "./errors.js";
import { type S3WriterState, s3WriterStateCodec } from "./s3-writer-state.js";

const state: S3WriterState = {
  openFiles: [
    {
      bucket: "b",
      key: "base/p-0-0a1b2c3d-1-0.jsonl",
      uploadId: "u",
      uploadToken: "t",
      contentType: "application/x-ndjson",
      parts: [{ partNumber: 1, etag: '"e1"', size: 5_242_880 }],
      tail: Buffer.from('{"seq":1}\n').toString("base64"),
      records: 7,
    },
    {
      bucket: "b",
      key: "base/p-0-0a1b2c3d-1-1.jsonl",
      uploadToken: "t2",
      contentType: "application/x-ndjson",
      parts: [],
      tail: "",
      records: 0,
    },
  ],
};
const file = state.openFiles[0] as S3WriterState["openFiles"][number];

describe("s3 writer state", () => {
  it("parses what the writer stores, unchanged", () => {
    expect(s3WriterStateCodec.parse(1, JSON.parse(JSON.stringify(state)))).toEqual(state);
  });

  it.each([
    ["parts without an upload id", { openFiles: [{ ...file, uploadId: undefined }] }],
    ["parts out of order", { openFiles: [{ ...file, parts: [{ ...file.parts[0], partNumber: 2 }] }] }],
    ["a tail that is not base64", { openFiles: [{ ...file, tail: "not base64!" }] }],
    ["no open files list", {}],
  ])("refuses a state with %s", (_, value) => {
    expect(() => s3WriterStateCodec.parse(1, value as never)).toThrow(S3SinkError);
  });

  it("refuses an unknown version with the version named", () => {
    expect(() => s3WriterStateCodec.parse(2, state)).toThrow(/version 2.*reads version 1/);
  });
});
