/**
 * docs/writing-a-sink.md quotes this example: every TypeScript block that starts with
 * `// <file>.ts` must appear, verbatim, in that file of this folder — so the guide shows the
 * code the kit runs, not a copy that drifted.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const folder = new URL("./", import.meta.url);
const guide = readFileSync(new URL("../../../../../../docs/writing-a-sink.md", import.meta.url), "utf8");
const quotes = [...guide.matchAll(/```ts\n\/\/ ([\w.-]+\.ts)\n([\s\S]*?)```/g)].map((m) => ({
  file: m[1] as string,
  code: m[2] as string,
}));

describe("docs/writing-a-sink.md", () => {
  it("quotes every file of the example's file set", () => {
    expect(new Set(quotes.map((q) => q.file))).toEqual(
      new Set([
        "http-sink.ts",
        "http-writer.ts",
        "http-committer.ts",
        "http-committable.ts",
        "http-sink-options.ts",
        "http-lingering.ts",
        "errors.ts",
        "http-sink.conformance.ts",
        "http-sink.conformance.test.ts",
      ]),
    );
  });

  it.each(quotes)("quotes $file as it is", ({ file, code }) => {
    expect(readFileSync(new URL(file, folder), "utf8")).toContain(code);
  });
});
