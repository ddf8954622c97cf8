/**
 * The public surface is split by audience (docs/writing-a-sink.md, packages/core/README.md,
 * ADR 0014): jobs at the root, the sink contract at `@berth/core/connector`, test hooks at
 * `@berth/core/testing`; and the contract's folder holds only the contract — nothing in
 * src/sink/ imports the runtime, so a connector author reads it without meeting the runtime.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as connector from "./connector.js";
import * as root from "./index.js";
import * as testing from "./testing.js";

const sinkFolder = new URL("./sink/", import.meta.url);
/** What a contract module may import: the contract, shared errors and validation, Node, zod. */
const CONTRACT_IMPORT = /^(\.\/[\w-]+\.js|\.\.\/errors\.js|\.\.\/validation\.js|node:[\w/]+|zod)$/;

describe("the public surface", () => {
  it("src/sink/ imports only the contract, shared errors and validation, Node and zod", () => {
    const offending: string[] = [];
    let seen = 0;
    for (const file of readdirSync(sinkFolder).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      const source = readFileSync(new URL(file, sinkFolder), "utf8");
      for (const [, specifier] of source.matchAll(
        /^(?:import\s+(?:[^;"]*?\sfrom\s+)?|export\s[^;"]*?\sfrom\s+)"([^"]+)";/gm,
      )) {
        seen++;
        if (!CONTRACT_IMPORT.test(specifier as string)) offending.push(`${file}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
    expect(seen).toBeGreaterThan(10);
  });

  it("the connector entry point holds the contract, the root does not", () => {
    for (const name of [
      "CommitOutcomes",
      "SinkNames",
      "parseOptions",
      "parseWith",
      "deliveryGuaranteeOption",
    ]) {
      expect(connector).toHaveProperty(name);
      expect(root).not.toHaveProperty(name);
    }
    expect(connector).toHaveProperty("TypedError");
    expect(connector).toHaveProperty("SinkPrefixInUseError");
  });

  it("the testing entry point holds the test hooks, the root does not", () => {
    for (const name of ["armFault", "faultPoint", "FAULT_POINTS", "loadRestorePoint", "startRestServer"]) {
      expect(testing).toHaveProperty(name);
      expect(root).not.toHaveProperty(name);
    }
  });

  it("the root builds and runs jobs", () => {
    for (const name of ["Pipeline", "Job", "definePipeline", "fileSink", "sequenceSource", "BerthError"])
      expect(root).toHaveProperty(name);
  });
});
