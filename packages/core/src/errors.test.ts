/**
 * The error brand: `instanceof` goes by each class's namespaced marker. Copies of the package
 * are builds of errors.ts loaded from their own files — one as is, one minified (identifiers
 * mangled); neither shares a class object with this module.
 */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { BerthError, CommitFailedPermanentlyError, TypedError } from "./errors.js";
import { workDirectory } from "./test-support.js";

type ErrorsModule = typeof import("./errors.js");

/** The slice of esbuild's API this test uses (esbuild comes with tsx, a dependency of the core). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }>;
}

/**
 * Another copy of this module, built from its source by esbuild and loaded from its own file:
 * its own class objects, as a second installed copy of the package has. `minify` mangles every
 * identifier, class names included.
 */
async function copyOfErrors(minify: boolean): Promise<ErrorsModule> {
  const esbuild = createRequire(import.meta.resolve("tsx"))("esbuild") as Esbuild;
  const built = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("./errors.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    minify,
    keepNames: false,
    write: false,
  });
  const code = built.outputFiles[0]?.text ?? "";
  const file = join(workDirectory("errors-copy"), "errors.mjs");
  writeFileSync(file, code);
  return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as ErrorsModule;
}

describe("typed errors", () => {
  it("a subclass matches its bases across two copies of the package, both ways", async () => {
    const copy = await copyOfErrors(false);
    expect(copy.BerthError).not.toBe(BerthError);
    const theirs = new copy.CommitFailedPermanentlyError("lost", { id: 1 });
    expect(theirs instanceof CommitFailedPermanentlyError).toBe(true);
    expect(theirs instanceof BerthError).toBe(true);
    expect(theirs instanceof TypedError).toBe(true);
    const ours = new CommitFailedPermanentlyError("lost", { id: 1 });
    expect(ours instanceof copy.CommitFailedPermanentlyError).toBe(true);
    expect(ours instanceof copy.BerthError).toBe(true);
    // A connector's subclass built against the other copy is a BerthError here too.
    class ConnectorError extends copy.BerthError {
      static override readonly marker = "my-connector/ConnectorError";
    }
    const connector = new ConnectorError("CONFIG_INVALID", "bad option");
    expect(connector instanceof BerthError).toBe(true);
    expect(connector instanceof CommitFailedPermanentlyError).toBe(false);
    expect(new BerthError("CONFIG_INVALID", "x") instanceof ConnectorError).toBe(false);
  });

  it("two unrelated classes that share a name never match", () => {
    // As two modules would declare them: same class name, each in its own namespace.
    const moduleA = (() => {
      class ConfigError extends TypedError<"BAD"> {
        static override readonly marker = "package-a/ConfigError";
      }
      return ConfigError;
    })();
    const moduleB = (() => {
      class ConfigError extends TypedError<"BAD"> {
        static override readonly marker = "package-b/ConfigError";
      }
      return ConfigError;
    })();
    expect(moduleA.name).toBe(moduleB.name);
    expect(new moduleA("BAD", "a") instanceof moduleB).toBe(false);
    expect(new moduleB("BAD", "b") instanceof moduleA).toBe(false);
    expect(new moduleA("BAD", "a") instanceof moduleA).toBe(true);
    // Nor does a class merely named like one of the core's.
    class BerthErrorLookalike extends TypedError<"CONFIG_INVALID"> {
      static override readonly marker = "elsewhere/BerthError";
    }
    expect(new BerthErrorLookalike("CONFIG_INVALID", "x").name).toBe("BerthError");
    expect(new BerthErrorLookalike("CONFIG_INVALID", "x") instanceof BerthError).toBe(false);
  });

  it("renaming or minifying a class breaks neither instanceof nor the error's name", async () => {
    const min = await copyOfErrors(true);
    expect(min.CommitFailedPermanentlyError.name).not.toBe("CommitFailedPermanentlyError");
    const error = new min.CommitFailedPermanentlyError("lost", { id: 1 });
    expect(error.name).toBe("CommitFailedPermanentlyError");
    expect(error instanceof CommitFailedPermanentlyError).toBe(true);
    expect(error instanceof BerthError).toBe(true);
    expect(new BerthError("CONFIG_INVALID", "x") instanceof min.CommitFailedPermanentlyError).toBe(false);

    class Renamed extends BerthError {
      static override readonly marker = "my-connector/Renamed";
    }
    Object.defineProperty(Renamed, "name", { value: "x" });
    const renamed = new Renamed("CONFIG_INVALID", "x");
    expect(renamed instanceof Renamed).toBe(true);
    expect(renamed.name).toBe("Renamed");
  });

  it("a subclass without a marker of its own is refused, so it never matches its base's errors", () => {
    class Unmarked extends BerthError {}
    expect(() => new Unmarked("CONFIG_INVALID", "x")).toThrow(/declares no marker of its own/);
    expect(() => new BerthError("CONFIG_INVALID", "x") instanceof Unmarked).toThrow(BerthError);
    try {
      new Unmarked("CONFIG_INVALID", "x");
    } catch (error) {
      expect(error).toMatchObject({ code: "ERROR_CLASS_UNMARKED" });
    }
  });

  it("another package's error is a TypedError with its own code, not a BerthError", () => {
    class OtherError extends TypedError<"OTHER_FAILED"> {
      static override readonly marker = "other-package/OtherError";
    }
    const cause = new Error("root");
    const error = new OtherError("OTHER_FAILED", "what is wrong; what to do", { cause });
    expect(error instanceof OtherError).toBe(true);
    expect(error instanceof TypedError).toBe(true);
    expect(error instanceof BerthError).toBe(false);
    expect(error).toMatchObject({ name: "OtherError", code: "OTHER_FAILED", cause });
    expect(new Error("plain") instanceof TypedError).toBe(false);
  });
});
