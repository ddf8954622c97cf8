/**
 * Loading a pipeline module. Its default export is a {@link Pipeline} or a function that
 * builds one from the arguments after `--`. TypeScript modules load without a build step
 * (the CLI runs under tsx).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { errorMessage } from "../errors.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { CliError, ExitCode } from "./exit-codes.js";

export interface PipelineContext {
  /** Arguments after `--` on the `berth run` command line. */
  readonly args: readonly string[];
}

export type PipelineFactory = (context: PipelineContext) => Pipeline | Promise<Pipeline>;

/** Typed helper for a pipeline module's default export. */
export function definePipeline(factory: PipelineFactory): PipelineFactory {
  return factory;
}

export async function loadPipeline(path: string, args: readonly string[]): Promise<Pipeline> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  } catch (error) {
    throw new CliError(`cannot load pipeline module ${path}: ${(error as Error).message}`, ExitCode.USAGE);
  }
  const exported = module.default;
  let pipeline: unknown = exported;
  if (typeof exported === "function") {
    try {
      pipeline = await (exported as PipelineFactory)({ args });
    } catch (error) {
      throw new CliError(
        `the pipeline factory of ${path} threw: ${errorMessage(error)}; fix the module or its settings`,
        ExitCode.USAGE,
        { cause: error },
      );
    }
  }
  if (!(pipeline instanceof Pipeline)) {
    throw new CliError(
      `${path} must export default a Pipeline or a function returning one (definePipeline((ctx) => ...))`,
      ExitCode.USAGE,
    );
  }
  return pipeline;
}
