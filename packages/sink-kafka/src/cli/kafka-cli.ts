/**
 * `berth kafka …`: operator commands for Kafka sinks. `berth` (in @berth/core) dispatches
 * `berth kafka <args>` here when @berth/sink-kafka is installed; `berth-kafka <args>` runs it
 * directly. Exit codes as the core CLI's: 0 done, 1 failed, 2 bad usage.
 *
 * ```
 * berth kafka abort-lingering --prefix P --brokers B [--max-subtasks N] [--pool-size K]
 *                             [--transaction-timeout-ms T] [--dry-run] [--json]
 * ```
 */
import { parseArgs } from "node:util";
import { KafkaError, messageOf } from "../errors.js";
import { brokerList, createKafka } from "../kafka-client.js";
import { TransactionClient } from "../kafka-internals/index.js";
import { abortLingeringTransactions } from "../kafka-lingering.js";
import { KAFKA_SINK_DEFAULTS } from "../kafka-sink-options.js";

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The core's default max parallelism: no sink can have more subtasks unless a pipeline raises it. */
const DEFAULT_MAX_SUBTASKS = 128;

const USAGE = `usage: berth kafka abort-lingering --prefix P --brokers B [--max-subtasks N] [--pool-size K]
                                   [--transaction-timeout-ms T] [--dry-run] [--json]

Aborts every open transaction of a Kafka sink prefix: the transactional ids
<prefix>-<subtask>-<slot> that ListTransactions reports open, and the bounded set
subtask < --max-subtasks (default ${DEFAULT_MAX_SUBTASKS}) × slot < --pool-size (the sink's maxPoolSize, default ${KAFKA_SINK_DEFAULTS.maxPoolSize}) probed one
by one. Never run it while a job with that prefix runs, nor before a job that must
still commit restored transactions has restored them: it aborts them too.
--brokers defaults to $KAFKA_BROKERS.`;

/** A missing or bad argument: one line pointing to the usage, exit code 2. */
class UsageError extends KafkaError {
  static override readonly marker: string = "berth.sink-kafka/UsageError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("KAFKA_CLI_USAGE", message, options);
  }
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${name} must be a positive integer (got ${value})`);
  return n;
}

export async function runKafkaCli(argv: readonly string[], io: CliOutput = processOutput): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command !== "abort-lingering") throw new UsageError(`unknown command "kafka ${command}"`);
    return await abortLingeringCommand(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      // One line, as every failure of the berth CLI; the usage is one --help away.
      io.err(`berth: ${error.message}; see berth kafka --help`);
      return 2;
    }
    io.err(`berth: ${messageOf(error)}`);
    return error instanceof KafkaError && error.code === "KAFKA_CONFIG_INVALID" ? 2 : 1;
  }
}

async function abortLingeringCommand(args: readonly string[], io: CliOutput): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        prefix: { type: "string" },
        brokers: { type: "string" },
        "max-subtasks": { type: "string" },
        "pool-size": { type: "string" },
        "transaction-timeout-ms": { type: "string" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
        verbose: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(messageOf(error), { cause: error });
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const prefix = values.prefix;
  if (typeof prefix !== "string" || prefix.length === 0) throw new UsageError("--prefix is required");
  const brokersArg = (values.brokers as string | undefined) ?? process.env.KAFKA_BROKERS;
  if (!brokersArg) throw new UsageError("--brokers is required (or set KAFKA_BROKERS)");
  const brokers = brokerList(brokersArg, "berth kafka abort-lingering");
  const maxSubtasks = positive(
    "--max-subtasks",
    values["max-subtasks"] as string | undefined,
    DEFAULT_MAX_SUBTASKS,
  );
  const poolSize = positive(
    "--pool-size",
    values["pool-size"] as string | undefined,
    KAFKA_SINK_DEFAULTS.maxPoolSize,
  );
  const transactionTimeoutMs = positive(
    "--transaction-timeout-ms",
    values["transaction-timeout-ms"] as string | undefined,
    60_000,
  );
  const client = TransactionClient.create(createKafka(brokers, { clientId: "berth-cli" }));
  try {
    const report = await abortLingeringTransactions(client, {
      prefix,
      maxSubtasks,
      poolSize,
      transactionTimeoutMs,
      dryRun: values["dry-run"] === true,
      ...(values.verbose
        ? { log: (message: string, fields?: object) => io.err(`${message} ${JSON.stringify(fields ?? {})}`) }
        : {}),
    });
    if (values.json) {
      io.out(JSON.stringify({ prefix, ...report, dryRun: values["dry-run"] === true }));
    } else {
      const how = `${report.listed ? "listed open transactions and " : "ListTransactions unavailable; "}probed ${report.probed} ids (${maxSubtasks} subtasks × ${poolSize} slots)`;
      if (report.open.length === 0) io.out(`no lingering transaction under prefix ${prefix} (${how})`);
      else if (values["dry-run"]) {
        io.out(
          `${report.open.length} lingering transaction(s) under prefix ${prefix} would be aborted (${how}):`,
        );
        for (const id of report.open) io.out(`  ${id}`);
      } else {
        io.out(`aborted ${report.aborted.length} lingering transaction(s) under prefix ${prefix} (${how}):`);
        for (const id of report.aborted) io.out(`  ${id}`);
      }
    }
    return 0;
  } finally {
    await client.close().catch(() => undefined);
  }
}
