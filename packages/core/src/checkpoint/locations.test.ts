/** Locations are local paths or URIs; relative paths inside a checkpoint resolve against either alike. */
import { describe, expect, it } from "vitest";
import { BerthError } from "../errors.js";
import { openStore } from "./checkpoint-store.js";
import {
  absoluteLocation,
  isWithin,
  relativeLocation,
  resolveLocation,
  schemeOf,
  splitLocation,
} from "./locations.js";

describe("checkpoint locations", () => {
  it("resolve, relate and split paths and URIs alike", () => {
    expect(schemeOf("s3://b/k")).toBe("s3");
    expect(schemeOf("/tmp/x")).toBeUndefined();
    expect(absoluteLocation("s3://b/k/./a/../c/")).toBe("s3://b/k/c");
    expect(absoluteLocation("s3://b/")).toBe("s3://b");
    expect(resolveLocation("s3://b/p/job/run-1/chk-3", "../../shared/x.jsonl")).toBe(
      "s3://b/p/job/shared/x.jsonl",
    );
    expect(resolveLocation("/c/job/run-1/chk-3", "../../shared/x.jsonl")).toBe("/c/job/shared/x.jsonl");
    expect(resolveLocation("s3://b/p", "/abs/file")).toBe("/abs/file");
    expect(resolveLocation("/c", "s3://other/key")).toBe("s3://other/key");
    expect(relativeLocation("s3://b/p/job/run-2/chk-1", "s3://b/p/job/shared/x")).toBe("../../shared/x");
    expect(relativeLocation("/c/job/run-2/chk-1", "/c/job/shared/x")).toBe("../../shared/x");
    expect(isWithin("s3://b/p/sp-1/_metadata", "s3://b/p/sp-1")).toBe(true);
    expect(isWithin("s3://b/p/sp-10/_metadata", "s3://b/p/sp-1")).toBe(false);
    expect(isWithin("/c/sp-10/x", "/c/sp-1")).toBe(false);
    expect(isWithin("/c/sp-1", "/c/sp-1")).toBe(false);
    expect(splitLocation("s3://b/p/sp/_metadata")).toEqual({ folder: "s3://b/p/sp", name: "_metadata" });
    expect(splitLocation("/c/sp/_metadata")).toEqual({ folder: "/c/sp", name: "_metadata" });
  });

  it("a scheme without storage is one typed error saying what to use", () => {
    expect(() => openStore("gs://bucket/x")).toThrow(BerthError);
    expect(() => openStore("gs://bucket/x")).toThrow(
      "gs://bucket/x: no checkpoint storage for gs:// is known; use a local directory or s3://bucket/prefix",
    );
  });
});
