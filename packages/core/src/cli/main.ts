#!/usr/bin/env node
/**
 * The `berth` command line. Every failure prints one line saying what went wrong and what
 * to do, and exits with a documented code (docs/cli.md); `--verbose` adds the stack.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { type ClaimMode, parseClaimMode } from "../checkpoint/claim.js";
import { type ListenAddress, parseListenAddress } from "../control/metrics-server.js";
import { osErrorMessage } from "../os-errors.js";
import { redactSecrets } from "../redact.js";
import { SDK_VERSION } from "../version.js";
import { cancelCommand } from "./cancel-command.js";
import { ControlClient } from "./control-client.js";
import { disposeCommand } from "./dispose-command.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { CLI_EXTENSIONS, runExtension } from "./extension-command.js";
import { infoCommand } from "./info-command.js";
import { listCommand } from "./list-command.js";
import { runCommand } from "./run-command.js";
import { DEFAULT_TIMEOUT_MS, followOperation, triggerCommand } from "./stop-command.js";
import { uiCommand } from "./ui-command.js";

const print = (line: string) => process.stdout.write(`${line}\n`);

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

function claimMode(value: string): ClaimMode {
  const mode = parseClaimMode(value);
  if (!mode) throw new InvalidArgumentError("must be no_claim, claim or legacy (any case)");
  return mode;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number of seconds");
  return n * 1000;
}

const timeoutOption = () =>
  new Option("--timeout <seconds>", "give up waiting after this many seconds (the operation goes on)")
    .argParser(seconds)
    .default(DEFAULT_TIMEOUT_MS, String(DEFAULT_TIMEOUT_MS / 1000));

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("must be a port number (0–65535)");
  return n;
}

function listenAddress(value: string): ListenAddress {
  try {
    return parseListenAddress(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function logFormat(value: string): string {
  if (value !== "pretty" && value !== "json") throw new InvalidArgumentError("use pretty or json");
  return value;
}

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command("berth")
    .description("Run and control Berth jobs: exactly-once pipelines with graceful stop")
    .version(SDK_VERSION)
    .option("--verbose", "log more and print stack traces")
    .option(
      "--log-format <format>",
      "the job log on stdout: pretty (one readable line per entry; default on a terminal) or json (default otherwise)",
      logFormat,
    )
    // Commander's own usage errors become the one `berth: …` line every failure prints.
    .configureOutput({
      outputError: (text, write) =>
        write(
          `berth: ${text
            .replace(/^error: /, "")
            .trim()
            .split("\n")
            .join("; ")}; see berth --help\n`,
        ),
    })
    .exitOverride();

  program
    .command("run")
    .description("run a pipeline in the foreground; exits 0 when the job ends FINISHED")
    .argument(
      "<pipeline>",
      "pipeline module (.ts or .js) whose default export is a Pipeline or definePipeline(...)",
    )
    .argument("[pipelineArgs...]", "arguments for the pipeline, after --")
    .option("--job-id <id>", "job id (default: generated); keep it to restore with --from-latest")
    .option("-s, --from-savepoint <path>", "restore from this savepoint or checkpoint directory")
    .option(
      "--from-latest",
      "restore the newest complete checkpoint or savepoint of --job-id; fresh start when none",
    )
    .option(
      "--claim-mode <mode>",
      "ownership of the restored savepoint: no_claim (never touched; first checkpoint full), claim (the job owns and later deletes it), legacy (deprecated)",
      claimMode,
      "NO_CLAIM" as ClaimMode,
    )
    .option("-n, --allow-non-restored-state", "drop state of operators the pipeline no longer has")
    .option(
      "--allow-pipeline-rename",
      "restore a savepoint taken by a pipeline of another name (default sink prefixes change with the name)",
    )
    .option(
      "--skip-failed-committables",
      "go on when a restored committable can never be committed (its records are lost; logged loudly)",
    )
    .option(
      "--checkpoint-dir <dir>",
      "checkpoint directory",
      process.env.BERTH_CHECKPOINT_DIR ?? ".berth/checkpoints",
    )
    .option(
      "--checkpoint-interval <ms>",
      "periodic checkpoint interval in ms (default 5000)",
      positiveInteger,
    )
    .option(
      "--commit-deadline <ms>",
      "how long a commit may keep retrying, and a stop's commits may take, in ms (default 60000)",
      positiveInteger,
    )
    .addOption(
      new Option("--state-backend <kind>", "state backend").choices(["memory", "sqlite"]).default("memory"),
    )
    .option("--rest-port <port>", "control plane port on 127.0.0.1 (default: random)", port)
    .option(
      "--metrics-address <host:port>",
      "also serve GET /metrics and GET /healthz, without a token, on this address (e.g. 0.0.0.0:9249 in a pod); nothing else is served there",
      listenAddress,
    )
    .option(
      "--no-auth",
      "serve the control plane without a bearer token (any local user may then stop or cancel the job)",
    )
    .action(async (pipeline: string, pipelineArgs: string[], flags) => {
      setExitCode(await runCommand(pipeline, pipelineArgs, flags, print));
    });

  const addTriggerOptions = (command: Command) =>
    command
      .addOption(
        new Option("--type <format>", "savepoint format")
          .choices(["canonical", "native"])
          .default("canonical"),
      )
      .addOption(timeoutOption())
      .option("--json", "print one JSON object");

  addTriggerOptions(
    program
      .command("stop")
      .description("stop a job with a savepoint (suspend; --drain to fire all event-time timers first)")
      .argument("<jobId>")
      .option("-d, --drain", "stop with drain: MAX watermark, all timers and windows fire")
      .option("--terminate", "alias of --drain")
      .option(
        "-p, --savepoint-path <dir>",
        "directory for the savepoint (default: <checkpoint dir>/savepoints)",
      ),
  ).action(async (jobId: string, flags) => {
    setExitCode(
      await triggerCommand(
        "stop",
        jobId,
        {
          drain: flags.drain || flags.terminate,
          type: flags.type,
          directory: flags.savepointPath,
          json: flags.json,
          timeoutMs: flags.timeout,
        },
        print,
      ),
    );
  });

  addTriggerOptions(
    program
      .command("savepoint")
      .description("take a savepoint while the job keeps running; --dispose PATH deletes one")
      .argument("[jobId]")
      .argument("[dir]", "directory for the savepoint (default: <checkpoint dir>/savepoints)")
      .option("--detached", "print the trigger id and return at once (follow it with berth status)")
      .option(
        "--dispose <path>",
        "delete this savepoint instead (refused for a checkpoint or a claimed savepoint)",
      ),
  ).action(async (jobId: string | undefined, dir: string | undefined, flags) => {
    if (flags.dispose !== undefined) {
      if (jobId !== undefined)
        throw new CliError("berth savepoint --dispose PATH takes no job id", ExitCode.USAGE);
      setExitCode(await disposeCommand(flags.dispose, print));
      return;
    }
    if (jobId === undefined)
      throw new CliError("savepoint needs a job id (see berth list), or --dispose PATH", ExitCode.USAGE);
    setExitCode(
      await triggerCommand(
        "savepoint",
        jobId,
        {
          type: flags.type,
          directory: dir,
          detached: flags.detached,
          json: flags.json,
          timeoutMs: flags.timeout,
        },
        print,
      ),
    );
  });

  program
    .command("status")
    .description("follow a stop or savepoint started with --detached until it completes")
    .argument("<jobId>")
    .argument("<triggerId>", "the trigger id berth savepoint --detached printed")
    .addOption(timeoutOption())
    .option("--json", "print one JSON object")
    .action(async (jobId: string, triggerId: string, flags: { json?: boolean; timeout: number }) => {
      setExitCode(
        await followOperation(
          ControlClient.forJob(jobId),
          jobId,
          triggerId,
          undefined,
          { json: flags.json ?? false, timeoutMs: flags.timeout },
          print,
        ),
      );
    });

  program
    .command("cancel")
    .description("cancel a job: no savepoint; nothing beyond its completed checkpoints is committed")
    .argument("<jobId>")
    .addOption(timeoutOption())
    .action(async (jobId: string, flags: { timeout: number }) => {
      setExitCode(await cancelCommand(jobId, flags.timeout, print));
    });

  program
    .command("list")
    .description("list the jobs running on this machine, with their start times")
    .option("-a, --all", "also the last run of every job id that ended (its state and end time) or died")
    .option("--json", "print JSON")
    .action(async (flags: { all?: boolean; json?: boolean }) => {
      setExitCode(await listCommand(flags, print));
    });

  program
    .command("ui")
    .description("print a one-time address of the job's dashboard in the browser (--open opens it)")
    .argument("<jobId>")
    .option("--open", "open the address in the browser ($BROWSER, else the system's opener)")
    .action(async (jobId: string, flags: { open?: boolean }) => {
      setExitCode(await uiCommand(jobId, flags, print));
    });

  program
    .command("info")
    .description("show what a savepoint or checkpoint holds")
    .argument("<path>")
    .option("--json", "print JSON")
    .action(async (path: string, flags: { json?: boolean }) => {
      setExitCode(await infoCommand(path, flags.json ?? false, print));
    });

  for (const extension of CLI_EXTENSIONS) {
    program
      .command(extension.command)
      .description(extension.description)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument("[args...]")
      .action(async (args: string[]) => {
        setExitCode(await runExtension(extension, program.opts().verbose ? [...args, "--verbose"] : args));
      });
  }

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const verbose = argv.includes("--verbose");
  process.env.BERTH_LOG_LEVEL ??= verbose ? "info" : "warn";
  // Read by every logger the job creates (logger.ts), wherever the flag stands in argv.
  const format = argv.indexOf("--log-format");
  if (format >= 0 && argv[format + 1]) process.env.BERTH_LOG_FORMAT = argv[format + 1];
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    const code = error instanceof CliError ? error.exitCode : ExitCode.JOB_FAILED;
    process.stderr.write(`berth: ${redactSecrets(osErrorMessage(error))}\n`);
    if (verbose && error instanceof Error && error.stack)
      process.stderr.write(`${redactSecrets(error.stack)}\n`);
    return code;
  }
}

process.exit(await main(process.argv.slice(2)));
