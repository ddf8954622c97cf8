/**
 * Helpers of the S3 checkpoint-storage tests, which run `berth` as real processes: their AWS
 * environment, their output, and readers of the bucket on the test's own S3 client — never the
 * store's — so a verdict does not rest on the code under test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { runBerth } from "@berth/testkit";
import { serviceEndpoints } from "@berth/testkit/services";
import { expect } from "vitest";
import { ensureBucket, TEST_BUCKET } from "../../test-support.js";

export const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));
export const FIXTURE = "packages/sink-s3/src/internal/checkpoint-store/keyed-count.fixture.ts";
/** The services' S3 secret: it must never appear in output, metadata or REST answers. */
export const SECRET = serviceEndpoints().s3.credentials.secretAccessKey;

export interface Place {
  readonly bucket: string;
  /** A base no other test uses: checkpoints under `<base>/chk`, records under `<base>/out`. */
  readonly base: string;
  /** `s3://<bucket>/<base>` */
  readonly root: string;
  /** The BERTH_HOME of `env`. */
  readonly home: string;
  readonly env: Record<string, string>;
}

/** A fresh base in the test bucket, and the environment a `berth` process needs for it. */
/**
 * The job lease's TTL in these tests: short enough to wait for an expiry, long enough that a
 * renewal delayed by a loaded machine (every third of it) does not let the lease lapse.
 */
export const TEST_LEASE_TTL_MS = 10_000;

export async function freshPlace(
  client: S3Client,
  name: string,
  leaseTtlMs = TEST_LEASE_TTL_MS,
): Promise<Place> {
  await ensureBucket(client, TEST_BUCKET);
  const base = `chk-store/${name}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const { endpoint, region, credentials } = serviceEndpoints().s3;
  const home = mkdtempSync(join(tmpdir(), "berth-s3-home-"));
  return {
    bucket: TEST_BUCKET,
    base,
    root: `s3://${TEST_BUCKET}/${base}`,
    home,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      BERTH_S3_LEASE_TTL_MS: String(leaseTtlMs),
      BERTH_HOME: home,
      S3_BUCKET: TEST_BUCKET,
      S3_PREFIX: `${base}/out`,
    },
  };
}

export interface Berth {
  readonly child: ChildProcess;
  output(): string;
  readonly exit: Promise<{ code: number | null; output: string }>;
}

/** Every output of every `berth` a test ran, for the credentials check. */
export const outputs: string[] = [];

/** Children still running: a failed test must not leave a job behind. */
const children = new Set<ChildProcess>();

/** SIGKILLs every `berth` a test started that still runs (call in `afterEach`). */
export function killLeftovers(): void {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
}

export function berth(args: readonly string[], env: Record<string, string>, cwd = REPO): Berth {
  const running = runBerth(args, env, cwd);
  children.add(running.child);
  running.child.on("exit", () => children.delete(running.child));
  let output = "";
  running.child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  running.child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  void running.exit.then((end) => outputs.push(end.output));
  return { child: running.child, output: () => output, exit: running.exit };
}

/** Runs `berth args` to its end — SIGKILLed after `timeoutMs`, so a test never waits forever. */
export async function berthDone(args: readonly string[], env: Record<string, string>, timeoutMs = 180_000) {
  const running = berth(args, env);
  const timer = setTimeout(() => running.child.kill("SIGKILL"), timeoutMs);
  try {
    return await running.exit;
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Keys (relative to `prefix/`) and ETags of every object under `prefix/`. */
export async function objects(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? [])
      found.set((o.Key as string).slice(prefix.length + 1), o.ETag as string);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

export async function readText(client: S3Client, bucket: string, key: string): Promise<string> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (response.Body as { transformToString(): Promise<string> }).transformToString();
}

export async function writeText(client: S3Client, bucket: string, key: string, text: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
}

/** Complete checkpoints (`chk-<n>` with `_metadata`) of run `run` of job `jobId`. */
export async function completeCheckpoints(client: S3Client, place: Place, jobId: string, run: number) {
  const keys = await objects(client, place.bucket, `${place.base}/chk/${jobId}/run-${run}`);
  return [...keys.keys()].filter((k) => /^chk-\d+\/_metadata$/.test(k));
}

/** The savepoint a `berth run` printed when it ended, or `berth stop`/`berth savepoint` printed. */
export function savepointIn(output: string): string {
  const match = /savepoint: (s3:\/\/\S+)/.exec(output);
  if (!match) throw new Error(`no savepoint in: ${output}`);
  return match[1] as string;
}

interface Counted {
  readonly seq: number;
  readonly key: number;
  readonly count: number;
}

/** Every record the sink committed under `<base>/out`, read with the test's client. */
export async function committedRecords(client: S3Client, place: Place): Promise<Counted[]> {
  const records: Counted[] = [];
  const prefix = `${place.base}/out`;
  for (const key of (await objects(client, place.bucket, prefix)).keys()) {
    const text = await readText(client, place.bucket, `${prefix}/${key}`);
    for (const line of text.split("\n")) if (line) records.push(JSON.parse(line) as Counted);
  }
  return records;
}

/**
 * Every seq of `0..count-1` exactly once, and per key the running counts `1..n`: keyed state
 * went on from where each restore point left it (a lost state restarts a count, a repeated
 * record repeats one).
 */
export function expectExactlyOnce(records: readonly Counted[], count: number): void {
  const seqs = records.map((r) => r.seq).sort((a, b) => a - b);
  expect(seqs.length).toBe(count);
  expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i));
  const byKey = new Map<number, number[]>();
  for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.count]);
  for (const [, counts] of byKey) {
    counts.sort((a, b) => a - b);
    expect(counts).toEqual(Array.from({ length: counts.length }, (_, i) => i + 1));
  }
}

/** The job's lease object, parsed, or undefined. */
export async function leaseOf(client: S3Client, place: Place, jobId: string) {
  const key = `${place.base}/chk/${jobId}/_lease`;
  const text = await readText(client, place.bucket, key).catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as { expiresAt: number; pid: number });
}

/** Runs `berth args` to its end under `prefix` (e.g. `unshare … sh -c '…' sh`, which execs berth with "$@"). */
export function berthDoneVia(
  prefix: readonly string[],
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(prefix[0] as string, [...prefix.slice(1), ...args], {
    cwd: REPO,
    env: { ...process.env, BERTH_LOG_LEVEL: "error", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      children.delete(child);
      outputs.push(output);
      resolve({ code, output });
    });
  });
}
