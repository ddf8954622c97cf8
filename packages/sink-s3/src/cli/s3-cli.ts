/**
 * `berth s3 uploads list|abort`: operator commands for the multipart uploads of an S3 sink
 * prefix (S3 keeps, and bills, an upload until it is completed or aborted). `berth` (in
 * @berth/core) dispatches `berth s3 <args>` here when @berth/sink-s3 is installed. Each
 * subcommand first takes the prefix's lease, as a job does, and holds it while it works: it
 * refuses while a live job holds the prefix, and no job starts under it meanwhile. Exit codes
 * as the core CLI's: 0 done, 1 failed (a held prefix too), 2 bad usage.
 *
 * ```
 * berth s3 uploads list  --bucket B --prefix P [--base K] [--endpoint URL] [--region R] [--json]
 * berth s3 uploads abort --bucket B --prefix P [--base K] [--endpoint URL] [--region R] [--dry-run] [--json]
 * ```
 */
import { parseArgs } from "node:util";
import { AbortMultipartUploadCommand, type S3ClientConfig } from "@aws-sdk/client-s3";
import { SinkNames, SinkPrefixInUseError } from "@berth/core/connector";
import { describeS3Error, S3SinkError } from "../errors.js";
import { ObjectKeys } from "../internal/object-keys.js";
import { claimLease, leaseKey } from "../internal/prefix-lease.js";
import { createS3Client } from "../internal/s3-client.js";
import { listUploads, type S3Upload } from "../s3-lingering.js";

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const USAGE = `usage: berth s3 uploads list  --bucket B --prefix P [--base K] [--endpoint URL] [--region R] [--json]
       berth s3 uploads abort --bucket B --prefix P [--base K] [--endpoint URL] [--region R] [--dry-run] [--json]

Lists or aborts the multipart uploads under <base>/ whose file name is an object name of sink
prefix P (never those of another prefix that starts with P). Credentials come from the AWS
provider chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles…); --endpoint (default
$S3_ENDPOINT, else AWS) selects an S3-compatible server, addressed path-style. Both refuse while
a live job holds the prefix (exit 1). Abort only uploads no checkpoint you will restore from
holds: an aborted pre-committed upload is lost.`;

class UsageError extends S3SinkError {
  static override readonly marker: string = "berth.sink-s3/UsageError";

  constructor(message: string) {
    super("S3_CLI_USAGE", message);
  }
}

export async function runS3Cli(argv: readonly string[], io: CliOutput = processOutput): Promise<number> {
  const [group, command, ...rest] = argv;
  try {
    if (group === undefined || group === "help" || group === "--help" || group === "-h") {
      io.out(USAGE);
      return group === undefined ? 2 : 0;
    }
    if (group !== "uploads") throw new UsageError(`unknown command "s3 ${group}"`);
    if (command !== "list" && command !== "abort")
      throw new UsageError(`unknown command "s3 uploads ${command ?? ""}"; use list or abort`);
    return await uploads(command, rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`berth: ${error.message}; see berth s3 --help`);
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
        bucket: { type: "string" },
        prefix: { type: "string" },
        base: { type: "string", default: "" },
        endpoint: { type: "string" },
        region: { type: "string" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function uploads(command: "list" | "abort", args: readonly string[], io: CliOutput): Promise<number> {
  const { values } = parse(args);
  const { bucket, prefix, base } = values;
  if (!bucket) throw new UsageError("--bucket is required");
  if (!prefix) throw new UsageError("--prefix is required");
  const endpoint = values.endpoint ?? process.env.S3_ENDPOINT;
  const config: S3ClientConfig = {
    region: values.region ?? process.env.S3_REGION ?? process.env.AWS_REGION ?? "us-east-1",
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  };
  const keys = new ObjectKeys(base, "");
  const names = new SinkNames(prefix);
  const client = createS3Client(config);
  try {
    const lease = await claimLease(client, {
      sinkPrefix: prefix,
      bucket,
      key: leaseKey(keys, prefix),
      jobId: `berth-s3-cli-${process.pid}`,
      uid: "berth s3 uploads",
      ttlMs: 30_000,
      onLost: (message) => io.err(`berth: ${message}`),
    });
    try {
      const own = (await listUploads(client, bucket, keys.listPrefix)).filter((u) => {
        const attempt = keys.attemptNameOf(u.key);
        return attempt !== undefined && names.parseAttempt(attempt) !== undefined;
      });
      const json = values.json === true;
      if (command === "list")
        return report(io, json, { bucket, prefix, uploads: own }, listText(prefix, own));
      const dryRun = values["dry-run"] === true;
      if (!dryRun)
        for (const u of own)
          await client.send(
            new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.uploadId }),
          );
      return report(io, json, { bucket, prefix, dryRun, aborted: own }, [
        `${dryRun ? "would abort" : "aborted"} ${own.length} multipart upload(s) under prefix ${prefix}`,
        ...own.map((u) => `  ${u.key}  ${u.uploadId}`),
      ]);
    } finally {
      await lease.release();
    }
  } catch (error) {
    if (error instanceof S3SinkError || error instanceof SinkPrefixInUseError) throw error;
    throw new S3SinkError("S3_TARGET_UNREACHABLE", `s3 uploads ${command}: ${describeS3Error(error)}`, {
      cause: error,
    });
  } finally {
    client.destroy();
  }
}

function listText(prefix: string, own: readonly S3Upload[]): string[] {
  if (own.length === 0) return [`no multipart upload under prefix ${prefix}`];
  return [
    `${own.length} multipart upload(s) under prefix ${prefix}:`,
    ...own.map((u) => `  ${u.key}  ${u.uploadId}`),
  ];
}

function report(io: CliOutput, json: boolean, value: object, text: readonly string[]): number {
  if (json) io.out(JSON.stringify(value));
  else for (const line of text) io.out(line);
  return 0;
}
