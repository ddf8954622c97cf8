/**
 * docs/writing-a-sink.md quotes this example: every TypeScript block that starts with
 * `// <file>.ts` must appear, verbatim, in that file of this folder — so the guide shows the
 * code the kit runs, not a copy that drifted.
 */
import { existsSync, readFileSync } from "node:fs";
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

  // The guide says which sinks follow the file set, and where the file and Kafka sinks differ.
  const packages = new URL("../../../../../", import.meta.url);
  it.each([
    {
      x: "http",
      src: "testkit/src/conformance/examples/http-sink/",
      test: "conformance.test.ts",
      errors: true,
    },
    { x: "kafka", src: "sink-kafka/src/", test: "conformance.it.test.ts", errors: true },
    { x: "postgres", src: "sink-postgres/src/", test: "conformance.it.test.ts", errors: true },
    { x: "s3", src: "sink-s3/src/", test: "conformance.it.test.ts", errors: true },
    { x: "file", src: "core/src/file-sink/", test: undefined, errors: false },
  ])("the $x sink has the connector file set", ({ x, src, test, errors }) => {
    const files = [
      `${x}-sink.ts`,
      `${x}-writer.ts`,
      `${x}-committer.ts`,
      `${x}-committable.ts`,
      `${x}-sink-options.ts`,
      `${x}-lingering.ts`,
      ...(errors ? ["errors.ts"] : []),
      ...(test ? [`${x}-sink.conformance.ts`, `${x}-sink.${test}`] : []),
    ];
    const missing = files.filter((f) => !existsSync(new URL(`${src}${f}`, packages)));
    expect(missing).toEqual([]);
  });
});
