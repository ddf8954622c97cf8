/**
 * `berth postgres transactions …`: operator commands for the prepared transactions of a
 * PostgreSQL sink prefix (they never time out and hold their locks until ended). `berth` (in
 * @berth/core) dispatches `berth postgres <args>` here when @berth/sink-postgres is installed.
 * Every subcommand first claims the prefix (the sink's advisory lock) and holds it while it
 * works, so it refuses while a live job holds the prefix and no job starts under it meanwhile.
 * Exit codes as the core CLI's: 0 done, 1 failed, 2 bad usage.
 *
 * ```
 * berth postgres transactions list     --prefix P [--url URL] [--json]
 * berth postgres transactions rollback --prefix P [--url URL] [--dry-run] [--json]
 * berth postgres transactions commit   --prefix P [--url URL] (--restore-point PATH | --force) [--dry-run] [--json] GID…
 * ```
 */
import { parseArgs } from "node:util";
import { loadRestorePoint, SinkNames } from "@berth/core/connector";
import type pg from "pg";
import { PostgresError } from "../errors.js";
import { type ConnectionSettings, connect, describePgError } from "../internal/connection.js";
import { claimPrefixAt } from "../internal/prefix-claim.js";
import { quoteLiteral } from "../internal/sql.js";

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const USAGE = `usage: berth postgres transactions list     --prefix P [--url URL] [--json]
       berth postgres transactions rollback --prefix P [--url URL] [--dry-run] [--json]
       berth postgres transactions commit   --prefix P [--url URL] (--restore-point PATH | --force) [--dry-run] [--json] GID...

Lists, rolls back or commits the prepared transactions of a PostgreSQL sink prefix in the
database of --url (default $PG_URL): COMMIT PREPARED and ROLLBACK PREPARED only work in the
database a transaction was prepared in. Every subcommand refuses while a live job holds the
prefix. \`commit\` takes explicit gids and commits one only when the checkpoint or savepoint
given as --restore-point holds it (its checkpoint completed); --force commits it anyway, which
duplicates its rows if a later restore replays them.`;

/** A missing or bad argument: one line pointing to the usage, exit code 2. */
class UsageError extends PostgresError {
  static override readonly marker: string = "berth.sink-postgres/UsageError";

  constructor(message: string) {
    super("POSTGRES_CLI_USAGE", message);
  }
}

interface Prepared {
  readonly gid: string;
  readonly prepared: string;
  readonly owner: string;
}

export async function runPostgresCli(
  argv: readonly string[],
  io: CliOutput = processOutput,
): Promise<number> {
  const [group, command, ...rest] = argv;
  try {
    if (group === undefined || group === "help" || group === "--help" || group === "-h") {
      io.out(USAGE);
      return group === undefined ? 2 : 0;
    }
    if (group !== "transactions") throw new UsageError(`unknown command "postgres ${group}"`);
    if (command !== "list" && command !== "rollback" && command !== "commit")
      throw new UsageError(
        `unknown command "postgres transactions ${command ?? ""}"; use list, rollback or commit`,
      );
    return await transactions(command, rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      // One line, as every failure of the berth CLI; the usage is one --help away.
      io.err(`berth: ${error.message}; see berth postgres --help`);
      return 2;
    }
    io.err(`berth: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function parse(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: {
        prefix: { type: "string" },
        url: { type: "string" },
        "restore-point": { type: "string" },
        force: { type: "boolean" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function transactions(
  command: "list" | "rollback" | "commit",
  args: readonly string[],
  io: CliOutput,
): Promise<number> {
  const { values, positionals } = parse(args);
  const prefix = values.prefix;
  if (typeof prefix !== "string" || prefix.length === 0) throw new UsageError("--prefix is required");
  const url = values.url ?? process.env.PG_URL;
  if (!url) throw new UsageError("--url is required (or set PG_URL)");
  if (command !== "commit" && positionals.length > 0) throw new UsageError(`${command} takes no gids`);
  if (command === "commit" && positionals.length === 0)
    throw new UsageError("commit needs the gids to commit");
  if (command === "commit" && !values.force && values["restore-point"] === undefined)
    throw new UsageError(
      "commit needs --restore-point PATH (to check each gid's checkpoint completed) or --force",
    );
  const settings: ConnectionSettings = { connectionString: url, connectTimeoutMs: 10_000 };
  const names = new SinkNames(prefix);
  const claim = await claimPrefixAt(settings, prefix);
  const client = await connect(settings, `cli ${prefix}`).catch(async (error: unknown) => {
    await claim.release();
    throw error;
  });
  try {
    const held = await listPrepared(client, names);
    if (command === "list")
      return report(io, values.json === true, { prefix, transactions: held }, listText(prefix, held));
    const dryRun = values["dry-run"] === true;
    if (command === "rollback") {
      const done: string[] = [];
      for (const t of held) {
        if (!dryRun) await client.query(`ROLLBACK PREPARED ${quoteLiteral(t.gid)}`);
        done.push(t.gid);
      }
      const verb = dryRun ? "would roll back" : "rolled back";
      return report(io, values.json === true, { prefix, dryRun, rolledBack: done }, [
        `${verb} ${done.length} prepared transaction(s) under prefix ${prefix}`,
        ...done.map((g) => `  ${g}`),
      ]);
    }
    const completed = values["restore-point"] ? await gidsIn(values["restore-point"]) : new Set<string>();
    const results: { gid: string; checkpointCompleted: boolean; outcome: string }[] = [];
    let refused = false;
    for (const gid of positionals) {
      const checkpointCompleted = completed.has(gid);
      let outcome: string;
      if (names.parseAttempt(gid) === undefined) outcome = "refused: not a gid of this prefix";
      else if (!held.some((t) => t.gid === gid)) outcome = "refused: not prepared in this database";
      else if (!checkpointCompleted && !values.force)
        outcome =
          "refused: the restore point does not hold it (its checkpoint never completed); --force commits it anyway";
      else if (dryRun) outcome = "would commit";
      else {
        await client.query(`COMMIT PREPARED ${quoteLiteral(gid)}`);
        outcome = "committed";
      }
      if (outcome.startsWith("refused")) refused = true;
      results.push({ gid, checkpointCompleted, outcome });
    }
    report(
      io,
      values.json === true,
      { prefix, dryRun, results },
      results.map(
        (r) =>
          `${r.gid}: ${r.outcome} (checkpoint ${r.checkpointCompleted ? "completed" : "not known to have completed"})`,
      ),
    );
    return refused ? 1 : 0;
  } catch (error) {
    throw error instanceof PostgresError
      ? error
      : new PostgresError(
          "POSTGRES_WRITE_FAILED",
          `postgres transactions ${command}: ${describePgError(error)}`,
          {
            cause: error,
          },
        );
  } finally {
    await client.end().catch(() => undefined);
    await claim.release();
  }
}

/** Prepared transactions of this database whose gid is an attempt name of the prefix. */
async function listPrepared(client: pg.Client, names: SinkNames): Promise<Prepared[]> {
  const { rows } = await client.query<{ gid: string; prepared: Date; owner: string }>(
    "SELECT gid, prepared, owner FROM pg_prepared_xacts WHERE database = current_database() AND gid LIKE $1 ORDER BY gid",
    [names.likePattern()],
  );
  return rows
    .filter((r) => names.parseAttempt(r.gid) !== undefined)
    .map((r) => ({ gid: r.gid, prepared: r.prepared.toISOString(), owner: r.owner }));
}

/** The gids the committables of a checkpoint or savepoint name. */
async function gidsIn(path: string): Promise<Set<string>> {
  const point = await loadRestorePoint(path);
  const gids = new Set<string>();
  for (const sink of point.metadata.sinks)
    for (const c of sink.committables) {
      const gid = (c.committable as { gid?: unknown } | null)?.gid;
      if (typeof gid === "string") gids.add(gid);
    }
  return gids;
}

function listText(prefix: string, held: readonly Prepared[]): string[] {
  if (held.length === 0) return [`no prepared transaction under prefix ${prefix}`];
  return [
    `${held.length} prepared transaction(s) under prefix ${prefix}:`,
    ...held.map((t) => `  ${t.gid}  prepared ${t.prepared} by ${t.owner}`),
  ];
}

function report(io: CliOutput, json: boolean, value: object, text: readonly string[]): number {
  if (json) io.out(JSON.stringify(value));
  else for (const line of text) io.out(line);
  return 0;
}
