/**
 * Commands other packages add to `berth` without the core depending on them: `berth kafka …`
 * runs `runKafkaCli` of `@berth/sink-kafka/cli` (and `berth postgres …` `runPostgresCli` of
 * `@berth/sink-postgres/cli`, `berth s3 …` `runS3Cli` of `@berth/sink-s3/cli`) when that package is installed (beside @berth/core, or in the
 * current directory's project).
 */
import { loadOptionalModule } from "../optional-module.js";
import { CliError, ExitCode } from "./exit-codes.js";

export interface CliExtension {
  /** `berth <command> …` */
  readonly command: string;
  readonly description: string;
  /** Package export holding the entry point, e.g. `@berth/sink-kafka/cli`. */
  readonly module: string;
  /** Named export: `(argv: string[]) => Promise<number>` (the exit code). */
  readonly entry: string;
}

export const CLI_EXTENSIONS: readonly CliExtension[] = [
  {
    command: "kafka",
    description:
      "Kafka sink operations: `berth kafka abort-lingering --prefix P --brokers B` (needs @berth/sink-kafka)",
    module: "@berth/sink-kafka/cli",
    entry: "runKafkaCli",
  },
  {
    command: "postgres",
    description:
      "PostgreSQL sink operations: `berth postgres transactions list|rollback|commit --prefix P --url URL` (needs @berth/sink-postgres)",
    module: "@berth/sink-postgres/cli",
    entry: "runPostgresCli",
  },
  {
    command: "s3",
    description:
      "S3 sink operations: `berth s3 uploads list|abort --bucket B --prefix P [--base K] [--endpoint URL]` (needs @berth/sink-s3)",
    module: "@berth/sink-s3/cli",
    entry: "runS3Cli",
  },
];

export async function runExtension(extension: CliExtension, args: readonly string[]): Promise<number> {
  let module: Record<string, unknown>;
  try {
    module = await loadOptionalModule(extension.module);
  } catch (error) {
    const missing = (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND";
    throw new CliError(
      missing
        ? `\`berth ${extension.command}\` needs ${extension.module.replace(/\/cli$/, "")}: install it in this project`
        : `cannot load ${extension.module}: ${(error as Error).message}`,
      ExitCode.USAGE,
    );
  }
  const entry = module[extension.entry];
  if (typeof entry !== "function") {
    throw new CliError(
      `${extension.module} has no ${extension.entry}(); install a matching version`,
      ExitCode.USAGE,
    );
  }
  return (entry as (argv: string[]) => Promise<number>)([...args]);
}
