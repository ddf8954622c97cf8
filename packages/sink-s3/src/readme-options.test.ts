/**
 * The README's options table is the sink's options: every option the sink takes has a row
 * with a default, and every row is an option the sink takes (an unknown option is refused, so
 * a row the sink did not take would fail here).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { S3_SINK_OPTION_NAMES } from "./s3-sink-options.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const section = readme.slice(
  readme.indexOf("## Options"),
  readme.indexOf("\n## ", readme.indexOf("## Options") + 1),
);
const rows = [...section.matchAll(/^\| `([A-Za-z]+)` +\| ([^|]+)\|/gm)].map((m) => ({
  name: m[1] as string,
  default: (m[2] as string).trim(),
}));

describe("README options", () => {
  it("lists every option the sink takes, each with its default, and no other", () => {
    expect(rows.map((r) => r.name).sort()).toEqual([...S3_SINK_OPTION_NAMES].sort());
    for (const row of rows) expect(row.default, row.name).not.toBe("");
  });
});
