/**
 * `berth s3 uploads list|abort` against the real server: it lists and aborts the uploads of
 * its prefix only (never those of `a-b` for prefix `a`, nor other keys), `--dry-run` aborts
 * nothing, and it refuses while a live job holds the prefix's lease. Uploads are created and
 * counted with the S3 SDK alone; one run goes through the `berth` binary's dispatch.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateMultipartUploadCommand } from "@aws-sdk/client-s3";
import { SinkNames } from "@berth/core/connector";
import { serviceEndpoints } from "@berth/testkit/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectKeys } from "../internal/object-keys.js";
import { claimLease, leaseKey } from "../internal/prefix-lease.js";
import { freshLocation, openUploads, type S3Location, testClient } from "../test-support.js";
import { runS3Cli } from "./s3-cli.js";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const client = testClient();
const { endpoint, credentials } = serviceEndpoints().s3;
const env = {
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
};
let saved: Record<string, string | undefined> = {};
beforeAll(() => {
  saved = {
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
  };
  Object.assign(process.env, env);
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  client.destroy();
});

const key = (at: S3Location, prefix: string, subtask: number) =>
  `${at.base}/${new SinkNames(prefix).attempt({ subtask, attemptId: "0a1b2c3d", checkpointId: 3 })}-0.jsonl`;

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runS3Cli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe("berth s3 uploads", () => {
  it("lists and aborts the prefix's uploads only; --dry-run aborts nothing", async () => {
    const at = await freshLocation(client, "cli");
    const own = [key(at, "a", 0), key(at, "a", 5)];
    const others = [key(at, "a-b", 0), `${at.base}/a-notes.txt`];
    for (const k of [...own, ...others])
      await client.send(new CreateMultipartUploadCommand({ Bucket: at.bucket, Key: k }));
    const args = [
      "--bucket",
      at.bucket,
      "--prefix",
      "a",
      "--base",
      at.base,
      "--endpoint",
      endpoint,
      "--json",
    ];

    // Through the berth binary: the core dispatches `berth s3` to this package.
    const listed = spawnSync(
      process.execPath,
      [join(REPO, "packages/core/bin/berth.mjs"), "s3", "uploads", "list", ...args],
      {
        cwd: REPO,
        env: { ...process.env, ...env },
        encoding: "utf8",
      },
    );
    expect(listed.status, listed.stderr).toBe(0);
    const keys = (JSON.parse(listed.stdout) as { uploads: { key: string }[] }).uploads.map((u) => u.key);
    expect(keys.sort()).toEqual([...own].sort());

    const dry = await cli(["uploads", "abort", ...args, "--dry-run"]);
    expect(dry.code, dry.err.join("\n")).toBe(0);
    expect((await openUploads(client, at, "")).sort()).toEqual([...own, ...others].sort());

    const aborted = await cli(["uploads", "abort", ...args]);
    expect(aborted.code, aborted.err.join("\n")).toBe(0);
    expect((JSON.parse(aborted.out[0] as string) as { aborted: unknown[] }).aborted).toHaveLength(2);
    expect((await openUploads(client, at, "")).sort()).toEqual([...others].sort());
  });

  it("refuses while a live job holds the prefix, naming it; bad usage is exit 2", async () => {
    const at = await freshLocation(client, "cli-held");
    await client.send(new CreateMultipartUploadCommand({ Bucket: at.bucket, Key: key(at, "p", 0) }));
    const lease = await claimLease(client, {
      sinkPrefix: "p",
      bucket: at.bucket,
      key: leaseKey(new ObjectKeys(at.base, ""), "p"),
      jobId: "live-job",
      uid: "s3",
      ttlMs: 30_000,
      onLost: () => {},
    });
    try {
      const refused = await cli([
        "uploads",
        "abort",
        "--bucket",
        at.bucket,
        "--prefix",
        "p",
        "--base",
        at.base,
        "--endpoint",
        endpoint,
      ]);
      expect(refused.code).toBe(1);
      expect(refused.err).toEqual([
        expect.stringMatching(/^berth: sink prefix p is in use: job live-job .* holds s3:\/\//),
      ]);
      expect(await openUploads(client, at, "p")).toHaveLength(1);
    } finally {
      await lease.release();
    }
    const usage = await cli(["uploads", "list", "--prefix", "p"]);
    expect(usage.code).toBe(2);
    expect(usage.err).toEqual(["berth: --bucket is required; see berth s3 --help"]);
  });
});
